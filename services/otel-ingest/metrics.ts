/** otel-ingest's metrics (prom-client), in one place so names stay consistent. */
import { counter, gauge, type Registry } from '../../shared/metrics/index.js';

export function otelIngestMetrics(registry: Registry) {
  return {
    requests: counter('warden_otel_requests_total', 'OTLP/HTTP requests answered, by status and why (ok, partial, unauthenticated, not-found, method, content-type, content-encoding, too-large, malformed, backpressure, error)', ['status', 'reason'], registry),
    spans: counter('warden_otel_spans_total', 'Spans read, by path (http, kafka) and result (accepted, rejected, ignored)', ['path', 'result'], registry),
    rejections: counter('warden_otel_rejected_spans_total', 'Spans refused (and dead-lettered), by path and reason code', ['path', 'reason'], registry),
    kafkaMessages: counter('warden_otel_kafka_messages_total', 'Messages read from the Collector topic, by result (ingested, dead-lettered)', ['result'], registry),
    backpressure: counter('warden_otel_backpressure_total', 'Times a request or a Kafka batch found the Kafka queue full or slower than ackTimeoutMs', ['path'], registry),
    queued: gauge('warden_otel_queue_records', 'Records waiting to be acknowledged by Kafka', [], registry),
    sendFailures: counter('warden_otel_send_failures_total', 'Produce requests that failed (their records are retried)', [], registry),
  };
}

export type OtelIngestMetrics = ReturnType<typeof otelIngestMetrics>;
