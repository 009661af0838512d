/**
 * otel-ingest throughput, side by side with the SDK path in the same run: spans/s from OTLP/HTTP
 * requests (protobuf, and JSON) through the receiver (auth, decode, map, seq, Avro encode, attest
 * signature) into Kafka with acks=-1, against events/s of the SDK's emit() into the same Kafka. Request
 * bodies are serialized before the clock starts with the OpenTelemetry SDK's own serializer (what its
 * exporters send), 512 spans each (the BatchSpanProcessor's default export batch), sent by 2
 * concurrent clients like a Collector's exporter; each request waits for its 200 (events acknowledged).
 * Client and service share the process and the machine's cores. Rounds alternate; the table reports medians.
 *
 *   npx tsx bench/otel-ingest.ts [--spans 100000] [--rounds 3]
 */
import { Command } from 'commander';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../shared/config/index.js';
import { Senders } from '../shared/ingest/senders.js';
import { createKafka, provisionTopics } from '../shared/kafka/index.js';
import { createLogger } from '../shared/logging/index.js';
import { Keyring } from '../shared/signing/index.js';
import { createAgentTelemetry } from '../shared/telemetry/index.js';
import { OtelIngestService } from '../services/otel-ingest/service.js';
import { fmt, median, writeSection } from './lib/results.js';
import { wholeNumber } from './lib/options.js';

const values = new Command()
  .name('npx tsx bench/otel-ingest.ts')
  .description('otel-ingest: GenAI spans in (OTLP JSON and protobuf) to signed events on Kafka, beside the ceiling (needs the local stack; writes its section of bench/RESULTS.md)')
  .option('--spans <n>', 'spans per round', wholeNumber(), 100_000)
  .option('--rounds <n>', 'rounds (median)', wholeNumber(), 3)
  .parse()
  .opts<{ spans: number; rounds: number }>();
const N = values.spans;
const ROUNDS = values.rounds;
const PER_REQUEST = 512;
const CLIENTS = 2;
const BODIES = 8;
const TOKEN = 'bench-token-otel-ingest-0123456789';

const base = loadConfig();
const suffix = Date.now().toString(36);
const topics = Object.fromEntries(Object.entries(base.topics).map(([k, t]) => [k, { ...t, name: `bench.otel.${k}.${suffix}`, partitions: k === 'events' ? 6 : 1 }])) as typeof base.topics;
const port = 14_000 + Math.floor(Math.random() * 1000);
const config = { ...base, topics, otelIngest: { ...base.otelIngest, http: { ...base.otelIngest.http, port }, kafka: { ...base.otelIngest.kafka, enabled: false } } };
const logger = createLogger('bench', { level: 'warn' });
const kafka = createKafka(config, logger);
await provisionTopics(kafka, config);
const keyring = new Keyring({ 'bench-agent': { k1: 'bench-secret-0123456789abcdef' }, 'attester:otel-ingest': { k1: 'bench-attester-secret-0123456789' } });
const action = { action: 'data.read', resource: 'crm.customers', records: 3, bytesOut: 1200, text: 'look up the order history of customer 1234' };

function bodies(): { proto: Buffer[]; json: Buffer[] } {
  const proto: Buffer[] = [];
  const json: Buffer[] = [];
  for (let b = 0; b < BODIES; b++) {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agent' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
    const tracer = provider.getTracer('bench');
    for (let i = 0; i < PER_REQUEST; i++) {
      tracer.startSpan('execute_tool lookup_customer', {
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_customer', 'gen_ai.tool.call.id': `call-${b}-${i}`, 'gen_ai.conversation.id': 'conv-1', 'gen_ai.tool.call.arguments': '{"query":"look up the order history of customer 1234"}' },
      }).end();
    }
    const spans = memory.getFinishedSpans();
    proto.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!));
    json.push(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!));
  }
  return { proto, json };
}

async function otlp(list: Buffer[], contentType: string): Promise<number> {
  const requests = Math.ceil(N / PER_REQUEST);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < requests) {
        const body = list[next++ % list.length]!;
        const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType }, body });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`OTLP request answered ${res.status}`);
      }
    }),
  );
  return (requests * PER_REQUEST) / ((performance.now() - t0) / 1000);
}

async function sdk(): Promise<number> {
  const t = await createAgentTelemetry({ agentId: 'bench-agent', agentRole: 'bench', keyring, config, logger, killSwitch: false, maxBatchSize: 500, bufferCapacity: 20_000 });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await t.emit(action);
  await t.flush();
  const s = (performance.now() - t0) / 1000;
  await t.close();
  if (t.stats().sent !== N) throw new Error(`sdk sent ${t.stats().sent} of ${N}`);
  return N / s;
}

const { proto, json } = bodies();
const service = new OtelIngestService({ config, logger, keyring, senders: new Senders([{ name: 'bench', token: TOKEN, agents: ['bench-agent'] }]) });
await service.start();
const rates = { sdk: [] as number[], proto: [] as number[], json: [] as number[] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    rates.sdk.push(await sdk());
    rates.proto.push(await otlp(proto, 'application/x-protobuf'));
    rates.json.push(await otlp(json, 'application/json'));
    process.stderr.write(`round ${r + 1}/${ROUNDS}: sdk ${fmt(rates.sdk.at(-1)!)} ev/s, otlp protobuf ${fmt(rates.proto.at(-1)!)} spans/s, otlp json ${fmt(rates.json.at(-1)!)} spans/s\n`);
  }
} finally {
  await service.stop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics).map((t) => t.name) }).catch(() => undefined);
  await admin.disconnect();
}

const sdkRate = median(rates.sdk);
const table = `## otel-ingest (bench/otel-ingest.ts)

\`npx tsx bench/otel-ingest.ts --spans ${N} --rounds ${ROUNDS}\` — one agent, ${N.toLocaleString('en-US')} tool-call spans (or SDK events) per round into a 6-partition \`agent.events\`, acks=-1, local single-node Kafka. OTLP: requests of ${PER_REQUEST} \`execute_tool\` spans serialized beforehand by the OpenTelemetry SDK, ${CLIENTS} concurrent clients in the same process, each request answered after Kafka acknowledged its events. Medians of ${ROUNDS} alternating rounds.

| path | per second | vs SDK |
| --- | ---: | ---: |
| SDK \`emit()\` (validate, UUIDv7, seq, Avro, HMAC, batch send) | ${fmt(sdkRate)} events | 1.00 |
| OTLP/HTTP protobuf -> otel-ingest (auth, decode, map, seq, Avro, attest, send) | ${fmt(median(rates.proto))} spans | ${(median(rates.proto) / sdkRate).toFixed(2)} |
| OTLP/HTTP JSON -> otel-ingest | ${fmt(median(rates.json))} spans | ${(median(rates.json) / sdkRate).toFixed(2)} |`;
writeSection('otel-ingest', table);
console.log(table);
process.exit(0);
