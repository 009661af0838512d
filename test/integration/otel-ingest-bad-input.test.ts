/**
 * otel-ingest under bad input, on the real stack: every bad request gets the OTLP/HTTP status it should
 * and a counter, a span claiming an agent its sender may not speak for is refused (partial success +
 * DLQ with the reason) while the valid spans of the same request pass, and the service keeps serving.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../shared/config/index.js';
import { DLQ_HEADERS } from '../../shared/kafka/deadLetter.js';
import type { OtelIngestService } from '../../services/otel-ingest/service.js';
import { readTopic } from '../support/detector.js';
import { isolatedConfig, provisionTopics } from '../support/stack.js';
import { ingestConfig, jsonBody, post, protobufBody, readEvents, sdkSpans, startIngest, TOKENS } from './otel-ingest.helpers.js';

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };
const bot1 = { authorization: `Bearer ${TOKENS.bot1}` };

async function metric(service: OtelIngestService, name: string, labels: Record<string, string>): Promise<number> {
  const m = service.registry.getSingleMetric(name);
  if (!m) return 0;
  return (await m.get()).values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
}

describe('otel-ingest: bad input gets a clear OTLP answer and a counter, never a crash', () => {
  let config: WardenConfig;
  let service: OtelIngestService;
  let port: number;
  const ownSpans = sdkSpans({ 'service.name': 'support-bot-1' }, [{ tool: 'lookup_customer', args: { id: '1' } }]);

  beforeAll(async () => {
    config = await ingestConfig(isolatedConfig('otel-bad'), { kafka: { enabled: false } as WardenConfig['otelIngest']['kafka'], http: { maxBodyBytes: 64 * 1024 } as WardenConfig['otelIngest']['http'] });
    await provisionTopics(config);
    service = await startIngest(config);
    port = config.otelIngest.http.port;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it.each([
    ['no token', {}, 'unauthenticated'],
    ['a wrong token', { authorization: `Bearer ${TOKENS.bot1.slice(0, -1)}x` }, 'unauthenticated'],
    ['a token in the wrong scheme', { authorization: `Basic ${TOKENS.bot1}` }, 'unauthenticated'],
  ])('%s: 401, counted, nothing ingested', async (_n, auth, reason) => {
    const before = await metric(service, 'warden_otel_requests_total', { status: '401', reason });
    const res = await post(port, protobufBody(ownSpans), { ...PROTO, ...auth });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 16 });
    expect(await metric(service, 'warden_otel_requests_total', { status: '401', reason })).toBe(before + 1);
    expect(await metric(service, 'warden_otel_spans_total', { path: 'http' })).toBe(0);
  });

  it.each([
    ['an unknown content type', 415, { 'content-type': 'text/plain' }, 'x', 'content-type'],
    ['an unknown content encoding', 415, { ...PROTO, 'content-encoding': 'br' }, 'x', 'content-encoding'],
    ['malformed protobuf', 400, PROTO, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), 'malformed'],
    ['malformed JSON', 400, JSON_TYPE, '{"resourceSpans":[{', 'malformed'],
    ['JSON of the wrong shape', 400, JSON_TYPE, '{"resourceSpans":"many"}', 'malformed'],
    ['corrupt gzip', 400, { ...PROTO, 'content-encoding': 'gzip' }, Buffer.from('not gzip at all'), 'malformed'],
    ['an oversized body', 413, PROTO, Buffer.alloc(65 * 1024, 1), 'too-large'],
    ['a gzip body that inflates past the limit', 413, { ...PROTO, 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(10 * 1024 * 1024)), 'too-large'],
  ] as const)('%s: %i, counted', async (_n, status, headers, body, reason) => {
    const before = await metric(service, 'warden_otel_requests_total', { status: String(status), reason });
    const res = await post(port, body, { ...bot1, ...headers });
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body.toString()).message).toEqual(expect.any(String));
    expect(await metric(service, 'warden_otel_requests_total', { status: String(status), reason })).toBe(before + 1);
  });

  it('wrong path and method: 404 and 405', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/v1/metrics`, { method: 'POST', headers: bot1 })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/v1/traces`, { headers: bot1 })).status).toBe(405);
  });

  it("refuses spans for another agent's id and spans without identity, passes the valid ones of the same request, dead-letters the refused with the reason", async () => {
    const impostor = sdkSpans({ 'service.name': 'fin-payments-1' }, [{ tool: 'transfer_funds', args: { amount: 1e6 } }]);
    const anonymous = sdkSpans({ 'service.name': 'unknown_service:python' }, [{ tool: 'delete_file' }]);
    const valid = sdkSpans({ 'service.name': 'support-bot-1' }, [{ tool: 'send_email' }]);
    const res = await post(port, jsonBody([...impostor, ...anonymous, ...valid]), { ...bot1, ...JSON_TYPE });
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body.toString());
    // invoke_agent + execute_tool for each of the two refused resources
    expect(answer.partialSuccess.rejectedSpans).toBe('4');
    expect(answer.partialSuccess.errorMessage).toMatch(/sender support-bot-1 may not speak for agent fin-payments-1/);
    expect(answer.partialSuccess.errorMessage).toMatch(/no agent identity/);

    const events = (await readEvents(config, 2)).map((r) => r.event);
    expect(events.map((e) => e.agentId)).toEqual(['support-bot-1', 'support-bot-1']);
    expect(events.map((e) => e.resource).sort()).toEqual(['send_email', 'support']);

    const dlq = await readTopic(config, config.topics.dlq.name, 4);
    const reasons = dlq.map((m) => ({ reason: String(m.headers?.[DLQ_HEADERS.reason]), detail: String(m.headers?.[DLQ_HEADERS.detail]), key: m.key?.toString() ?? null }));
    expect(reasons.filter((r) => r.reason === 'event.bad-identity' && /may not speak for agent fin-payments-1/.test(r.detail))).toHaveLength(2);
    expect(reasons.filter((r) => r.reason === 'event.bad-identity' && /no agent identity/.test(r.detail))).toHaveLength(2);
    expect(reasons.filter((r) => r.key === 'fin-payments-1')).toHaveLength(2);
    const refusedSpan = JSON.parse(dlq.find((m) => m.key?.toString() === 'fin-payments-1')!.value!.toString());
    expect(refusedSpan.traceId).toBe(impostor[0]!.spanContext().traceId);
    expect(await metric(service, 'warden_otel_rejected_spans_total', { path: 'http', reason: 'event.bad-identity' })).toBe(4);
    expect(await metric(service, 'warden_otel_spans_total', { path: 'http', result: 'accepted' })).toBe(2);
  });

  it('still serves valid requests after all of the above, in protobuf too', async () => {
    const res = await post(port, protobufBody(ownSpans), { ...bot1, ...PROTO });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(res.body.length).toBe(0); // an empty ExportTraceServiceResponse: full success
  });

  it('answers 503 with Retry-After when the Kafka queue is full, counted, and nothing is half-taken', async () => {
    const small = await ingestConfig(config, { queueCapacity: 1, kafka: { enabled: false } as WardenConfig['otelIngest']['kafka'] });
    const tight = await startIngest(small);
    try {
      const res = await post(small.otelIngest.http.port, protobufBody(ownSpans), { ...bot1, ...PROTO });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe(String(small.otelIngest.http.retryAfterSeconds));
      expect(JSON.parse(res.body.toString()).message).toMatch(/has room for 1 records, the request needs 2/);
      expect(await metric(tight, 'warden_otel_backpressure_total', { path: 'http' })).toBe(1);
      expect(await metric(tight, 'warden_otel_requests_total', { status: '503', reason: 'backpressure' })).toBe(1);
      expect(await metric(tight, 'warden_otel_queue_records', {})).toBe(0);
    } finally {
      await tight.stop();
    }
  });
});
