/**
 * Dead-letter records: the original key and bytes, untouched, with headers
 * that say why and where from. Nothing is dropped silently.
 */
import type { IHeaders, Message } from '../../shared/kafka/index.js';
import type { ReasonCode } from '../../shared/errors/index.js';

export const DLQ_HEADERS = {
  reason: 'warden-dlq-reason',
  detail: 'warden-dlq-detail',
  topic: 'warden-dlq-source-topic',
  partition: 'warden-dlq-source-partition',
  offset: 'warden-dlq-source-offset',
  at: 'warden-dlq-at',
} as const;

export function dlqMessage(
  original: { key: Buffer | null; value: Buffer | null; headers?: IHeaders },
  source: { topic: string; partition: number; offset: string },
  reason: ReasonCode,
  detail: string,
  nowMs: number,
): Message {
  return {
    key: original.key,
    value: original.value,
    headers: {
      ...(original.headers ?? {}),
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.detail]: detail.slice(0, 500),
      [DLQ_HEADERS.topic]: source.topic,
      [DLQ_HEADERS.partition]: String(source.partition),
      [DLQ_HEADERS.offset]: source.offset,
      [DLQ_HEADERS.at]: String(nowMs),
    },
  };
}
