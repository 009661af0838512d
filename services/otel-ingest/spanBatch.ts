/**
 * Both ways in (OTLP/HTTP and the Collector's Kafka topic) end here: the spans of one request become
 * events, ignored spans (not GenAI), and refusals. A span the sender may not speak for, or that names
 * no acceptable agent, is refused: it becomes a dead letter (the span as otel-ingest read it, as JSON,
 * with the reason in the DLQ headers) and, on OTLP/HTTP, part of the partial-success answer.
 */
import type { WardenConfig } from '../../shared/config/index.js';
import type { ReasonCode } from '../../shared/errors/index.js';
import type { Message } from '../../shared/kafka/index.js';
import { dlqMessage, type DeadLetterSource } from '../../shared/kafka/deadLetter.js';
import type { OtlpSpan } from '../../shared/ingest/otlp/spans.js';
import type { Sender } from '../../shared/ingest/senders.js';
import { spanToEvent, type SpanMappingOptions } from '../../shared/ingest/spanToEvent.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';

export interface SpanBatch {
  events: AgentActionEvent[];
  deadLetters: Message[];
  ignored: number;
  refusals: { reason: ReasonCode; detail: string }[];
}

/** The header naming who sent a dead-lettered span. */
export const SENDER_HEADER = 'warden-otel-sender';
const MAX_MESSAGE_CHARS = 1000;

export function mapSpans(
  spans: OtlpSpan[],
  sender: Sender,
  mapping: Omit<SpanMappingOptions, 'sender'>,
  dlq: { config: WardenConfig; source: DeadLetterSource; nowMs: number },
): SpanBatch {
  const out: SpanBatch = { events: [], deadLetters: [], ignored: 0, refusals: [] };
  for (const span of spans) {
    let verdict = spanToEvent(span, { ...mapping, sender: sender.name });
    if (verdict.kind === 'event' && !sender.mayClaim(verdict.event.agentId)) {
      verdict = { kind: 'refused', reason: 'event.bad-identity', detail: `sender ${sender.name} may not speak for agent ${verdict.event.agentId} (from ${verdict.event.attributes['otel.agent_id_from']})`, agentId: verdict.event.agentId };
    }
    if (verdict.kind === 'event') out.events.push(verdict.event);
    else if (verdict.kind === 'ignored') out.ignored += 1;
    else {
      out.refusals.push({ reason: verdict.reason, detail: verdict.detail });
      out.deadLetters.push(
        dlqMessage(
          { key: verdict.agentId ?? null, value: JSON.stringify(spanAsJson(span)), headers: { [SENDER_HEADER]: sender.name } },
          dlq.source,
          verdict.reason,
          verdict.detail,
          dlq.nowMs,
          dlq.config.topics.dlq.maxMessageBytes,
        ),
      );
    }
  }
  return out;
}

/** OTLP partial-success text: how many spans were refused and the first few distinct reasons. */
export function refusalMessage(refusals: SpanBatch['refusals']): string {
  if (refusals.length === 0) return '';
  const distinct = [...new Set(refusals.map((r) => `${r.reason}: ${r.detail}`))];
  return `${refusals.length} span(s) refused: ${distinct.slice(0, 3).join('; ')}${distinct.length > 3 ? `; and ${distinct.length - 3} more` : ''}`.slice(0, MAX_MESSAGE_CHARS);
}

function spanAsJson(span: OtlpSpan) {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    startMs: span.startMs,
    endMs: span.endMs,
    status: { code: span.statusCode, message: span.statusMessage },
    attributes: Object.fromEntries(span.attributes),
    resource: Object.fromEntries(span.resource),
  };
}
