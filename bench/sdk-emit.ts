/**
 * SDK emit throughput and added latency, side by side with the ceiling: a
 * bare kafkajs producer sending the same number of already-encoded messages
 * in the same batch size with acks=-1. Rounds alternate so both see the same
 * machine noise; the table reports medians.
 *
 *   npx tsx bench/sdk-emit.ts [--events 100000] [--rounds 3]
 */
import { Command } from 'commander';
import { loadConfig } from '../shared/config/index.js';
import { createKafka, createProducer, ensureTopics } from '../shared/kafka/index.js';
import { createLogger } from '../shared/logging/index.js';
import { createRegistry, registerSchemas } from '../shared/registry/index.js';
import { Keyring, signHeaders } from '../shared/signing/index.js';
import { buildEvent, createAgentTelemetry } from '../shared/telemetry/index.js';
import { fmt, median, quantile, writeSection } from './lib/results.js';
import { wholeNumber } from './lib/options.js';

const values = new Command()
  .name('npx tsx bench/sdk-emit.ts')
  .description("The agent SDK's emit() beside a bare kafkajs producer of pre-signed messages (needs the local stack; writes its section of bench/RESULTS.md)")
  .option('--events <n>', 'events per round', wholeNumber(), 100_000)
  .option('--rounds <n>', 'rounds (median)', wholeNumber(), 3)
  .parse()
  .opts<{ events: number; rounds: number }>();
const N = values.events;
const ROUNDS = values.rounds;
const BATCH = 500;

const base = loadConfig();
const suffix = Date.now().toString(36);
const config = { ...base, topics: { ...base.topics, events: { ...base.topics.events, name: `bench.sdk.${suffix}`, partitions: 6 } } };
const logger = createLogger('bench', { level: 'warn' });
const kafka = createKafka(config, logger);
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, config);
const keyring = new Keyring({ 'bench-agent': { k1: 'bench-secret-0123456789abcdef' } });
const action = { action: 'data.read', resource: 'crm.customers', records: 3, bytesOut: 1200, text: 'look up the order history of customer 1234' };

async function bare(): Promise<number> {
  const registry = createRegistry(config);
  const ids = await registerSchemas(registry, config);
  const value = await registry.encode(ids.events, buildEvent({ agentId: 'bench-agent', agentRole: 'bench', tenantId: 't' }, action, { maxTextLength: 1024, eventId: 'e', seq: 1, nowMs: Date.now() }));
  const headers = signHeaders(keyring, 'bench-agent', value);
  const producer = createProducer(kafka);
  await producer.connect();
  const t0 = performance.now();
  for (let sent = 0; sent < N; sent += BATCH) {
    const n = Math.min(BATCH, N - sent);
    await producer.send({ topic: config.topics.events.name, acks: -1, messages: Array.from({ length: n }, () => ({ key: 'bench-agent', value, headers })) });
  }
  const s = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return N / s;
}

async function sdk(): Promise<{ rate: number; emitUs: number[] }> {
  const t = await createAgentTelemetry({ agentId: 'bench-agent', agentRole: 'bench', keyring, config, logger, killSwitch: false, maxBatchSize: BATCH, bufferCapacity: 20_000 });
  const emitUs: number[] = new Array(N);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const a = performance.now();
    await t.emit(action);
    emitUs[i] = (performance.now() - a) * 1000;
  }
  await t.flush();
  const s = (performance.now() - t0) / 1000;
  await t.close();
  if (t.stats().sent !== N) throw new Error(`sdk sent ${t.stats().sent} of ${N}`);
  return { rate: N / s, emitUs };
}

const bareRates: number[] = [];
const sdkRates: number[] = [];
const p50s: number[] = [];
const p99s: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  bareRates.push(await bare());
  const s = await sdk();
  sdkRates.push(s.rate);
  const sorted = s.emitUs.sort((a, b) => a - b);
  p50s.push(quantile(sorted, 0.5));
  p99s.push(quantile(sorted, 0.99));
  process.stderr.write(`round ${r + 1}/${ROUNDS}: bare ${fmt(bareRates.at(-1)!)} ev/s, sdk ${fmt(s.rate)} ev/s\n`);
}
await admin.deleteTopics({ topics: [config.topics.events.name] }).catch(() => undefined);
await admin.disconnect();

const table = `## SDK emit (bench/sdk-emit.ts)

\`npx tsx bench/sdk-emit.ts --events ${N} --rounds ${ROUNDS}\` — one agent, ${N.toLocaleString('en-US')} events per round, batches of ${BATCH}, acks=-1, local single-node Kafka. Medians of ${ROUNDS} alternating rounds.

| | events/s | ratio |
| --- | ---: | ---: |
| ceiling: bare kafkajs producer, pre-encoded and pre-signed messages | ${fmt(median(bareRates))} | 1.00 |
| SDK \`emit()\` (validate, UUIDv7, seq, Avro encode, HMAC sign, buffer, batch send) | ${fmt(median(sdkRates))} | ${(median(sdkRates) / median(bareRates)).toFixed(2)} |

Added latency of one \`emit()\` call (until the event is buffered; sending is asynchronous): p50 ${fmt(median(p50s), 1)} µs, p99 ${fmt(median(p99s), 1)} µs.`;
writeSection('sdk', table);
console.log(table);
