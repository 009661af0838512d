/**
 * The Collector path, on the real stack: ExportTraceServiceRequest messages on the otlp_spans topic,
 * encoded as the Collector's kafka exporter encodes them (otlp_proto: the protobuf request; otlp_json:
 * OTLP/JSON), become the same events as over OTLP/HTTP; undecodable messages and spans for agents the
 * topic may not speak for go to the DLQ with their reason, and the consumer goes on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer } from '../../shared/kafka/index.js';
import { DLQ_HEADERS } from '../../shared/kafka/deadLetter.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import type { OtelIngestService } from '../../services/otel-ingest/service.js';
import { readTopic } from '../support/detector.js';
import { isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';
import { ingestConfig, jsonBody, post, protobufBody, readEvents, sdkSpans, startIngest, TOKENS } from './otel-ingest.helpers.js';

const started: OtelIngestService[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function produce(config: WardenConfig, values: Buffer[]): Promise<void> {
  const producer = createProducer(createKafka(config, testLogger));
  await producer.connect();
  try {
    await producer.send({ topic: config.topics.otlpSpans.name, acks: -1, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

async function run(label: string, kafka: Partial<WardenConfig['otelIngest']['kafka']>): Promise<WardenConfig> {
  const config = await ingestConfig(isolatedConfig(label), { kafka: kafka as WardenConfig['otelIngest']['kafka'] });
  await provisionTopics(config);
  started.push(await startIngest(config));
  return config;
}

/** What must not depend on the way in: everything but seq and who delivered it. */
function comparable(e: AgentActionEvent) {
  const { seq: _seq, attributes, ...rest } = e;
  const { 'otel.sender': _sender, ...attrs } = attributes;
  return { ...rest, attributes: attrs };
}

describe('otel-ingest: the Collector kafka exporter topic', () => {
  const spans = sdkSpans({ 'service.name': 'support-bot-1', 'service.namespace': 'acme' }, [
    { tool: 'send_email', args: { to: 'x@example.org' } },
    { tool: 'transfer_funds', args: { amount: 10, currency: 'EUR' }, error: 'PermissionDenied' },
  ]);

  it('otlp_proto and otlp_json messages give the same events as OTLP/HTTP', async () => {
    const proto = await run('otel-kproto', { encoding: 'otlp_proto' });
    const json = await run('otel-kjson', { encoding: 'otlp_json' });
    const http = await run('otel-khttp', { enabled: false });
    await produce(proto, [protobufBody(spans)]);
    await produce(json, [jsonBody(spans)]);
    expect((await post(http.otelIngest.http.port, protobufBody(spans), { authorization: `Bearer ${TOKENS.bot1}`, 'content-type': 'application/x-protobuf' })).status).toBe(200);

    const [fromProto, fromJson, fromHttp] = await Promise.all([proto, json, http].map(async (c) => (await readEvents(c, 3)).map((r) => r.event)));
    const byId = (list: AgentActionEvent[]) => [...list].sort((a, b) => a.eventId.localeCompare(b.eventId)).map(comparable);
    expect(fromProto).toHaveLength(3);
    expect(byId(fromProto!)).toEqual(byId(fromHttp!));
    expect(byId(fromJson!)).toEqual(byId(fromHttp!));
    expect(fromProto!.find((e) => e.resource === 'transfer_funds')).toMatchObject({ action: 'payment.transfer', outcome: 'DENIED', amount: 10, tenantId: 'acme' });
    expect(fromProto![0]!.attributes['otel.sender']).toBe(`kafka:${proto.topics.otlpSpans.name}`);
  });

  it('dead-letters undecodable messages whole and spans for agents outside otelIngest.kafka.agents one by one, and goes on', async () => {
    const config = await run('otel-kdlq', { agents: ['support-*'] });
    const stranger = sdkSpans({ 'service.name': 'fin-payments-1' }, [{ tool: 'transfer_funds' }]);
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    await produce(config, [garbage, protobufBody(stranger), protobufBody(spans)]);

    const events = (await readEvents(config, 3)).map((r) => r.event);
    expect(new Set(events.map((e) => e.agentId))).toEqual(new Set(['support-bot-1']));
    const dlq = await readTopic(config, config.topics.dlq.name, 3);
    const undecodable = dlq.filter((m) => String(m.headers?.[DLQ_HEADERS.reason]) === 'event.undecodable');
    expect(undecodable).toHaveLength(1);
    expect(undecodable[0]!.value).toEqual(garbage);
    expect(String(undecodable[0]!.headers?.[DLQ_HEADERS.topic])).toBe(config.topics.otlpSpans.name);
    expect(String(undecodable[0]!.headers?.[DLQ_HEADERS.offset])).toBe('0');
    const refused = dlq.filter((m) => String(m.headers?.[DLQ_HEADERS.reason]) === 'event.bad-identity');
    expect(refused).toHaveLength(2);
    expect(String(refused[0]!.headers?.[DLQ_HEADERS.detail])).toMatch(/may not speak for agent fin-payments-1/);
    expect(refused.every((m) => m.key?.toString() === 'fin-payments-1')).toBe(true);
  });
});
