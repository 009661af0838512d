/**
 * Dead-letter records, the one writer for every service: the original key and
 * bytes with headers that say why and where from. Nothing is dropped
 * silently, and a dead letter can never itself be a poison pill: it always
 * fits the DLQ topic's `max.message.bytes`. When the original's headers or
 * value would not fit, they are cut and the record says so.
 */
import type { ReasonCode } from '../errors/index.js';
import type { IHeaders, Message } from './client.js';

export const DLQ_HEADERS = {
  reason: 'warden-dlq-reason',
  detail: 'warden-dlq-detail',
  topic: 'warden-dlq-source-topic',
  partition: 'warden-dlq-source-partition',
  offset: 'warden-dlq-source-offset',
  at: 'warden-dlq-at',
  /** Set when the original headers were left out: "<count> headers, <bytes> bytes". */
  headersDropped: 'warden-dlq-headers-dropped',
  /** Set when the original value was cut: its length in bytes. */
  valueTruncated: 'warden-dlq-value-truncated',
} as const;

/** Room kept for Kafka's own record framing and our headers. */
const OVERHEAD_BYTES = 2048;
/** Original headers kept at most (a normal event has three small ones). */
const MAX_ORIGINAL_HEADER_BYTES = 8192;
const MAX_DETAIL = 500;

/** Our reason codes, or a sink's refusal (`sink.<name>.rejected`). */
export type DeadLetterReason = ReasonCode | `sink.${string}.rejected`;

export interface DeadLetterSource {
  topic: string;
  partition?: number;
  offset?: string;
}

export function headerBytes(headers: IHeaders | undefined): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  if (!headers) return { count, bytes };
  for (const name in headers) {
    const value = headers[name];
    for (const v of Array.isArray(value) ? value : [value]) {
      count++;
      bytes += Buffer.byteLength(name) + (v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);
    }
  }
  return { count, bytes };
}

export function dlqMessage(
  original: { key: Buffer | string | null; value: Buffer | string | null; headers?: IHeaders },
  source: DeadLetterSource,
  reason: DeadLetterReason,
  detail: string,
  nowMs: number,
  maxMessageBytes: number,
): Message {
  const own: IHeaders = {
    [DLQ_HEADERS.reason]: reason,
    [DLQ_HEADERS.detail]: detail.slice(0, MAX_DETAIL),
    [DLQ_HEADERS.topic]: source.topic,
    ...(source.partition === undefined ? {} : { [DLQ_HEADERS.partition]: String(source.partition) }),
    ...(source.offset === undefined ? {} : { [DLQ_HEADERS.offset]: source.offset }),
    [DLQ_HEADERS.at]: String(nowMs),
  };
  const key = typeof original.key === 'string' ? Buffer.from(original.key) : original.key;
  let value = typeof original.value === 'string' ? Buffer.from(original.value) : original.value;
  let room = maxMessageBytes - OVERHEAD_BYTES - (key?.length ?? 0) - headerBytes(own).bytes;
  const kept = headerBytes(original.headers);
  let headers: IHeaders = { ...own };
  if (kept.count > 0) {
    if (kept.bytes <= MAX_ORIGINAL_HEADER_BYTES && kept.bytes <= room) {
      headers = { ...original.headers, ...own };
      room -= kept.bytes;
    } else {
      headers[DLQ_HEADERS.headersDropped] = `${kept.count} headers, ${kept.bytes} bytes`;
    }
  }
  if (value && value.length > Math.max(0, room)) {
    headers[DLQ_HEADERS.valueTruncated] = String(value.length);
    value = value.subarray(0, Math.max(0, room));
  }
  return { key, value, headers };
}
