/**
 * Detector throughput against the ceiling, side by side on one pre-produced
 * topic: a bare kafkajs consumer that only reads and counts, and the detector
 * service (decode, verify HMAC, detect, write state to Redis, commit).
 *
 *   npx tsx bench/detector-throughput.ts [--events 1000000] [--agents 10000] [--partitions 12] [--rounds 1] [--verify-workers 0,1,2]
 *     [--client kafkajs,platformatic --platformatic-from /tmp/pk]
 *
 * --verify-workers: the detector is measured once per listed count of signature verification threads
 * (detector.verifyWorkers), each its own isolated detector run, after the round's bare run.
 * --client: the bare ceiling with each listed client (kafkajs always; platformatic = @platformatic/kafka,
 * loaded from --platformatic-from, not a dependency: see lib/platformatic.ts). The detector runs on kafkajs.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { FleetPublisher } from '../cli/simulate/publisher.js';
import { createDetectionEngine } from '../services/detector/engine.js';
import { DetectorService } from '../services/detector/service.js';
import { loadConfig } from '../shared/config/index.js';
import { createKafka, ensureTopics, type Message } from '../shared/kafka/index.js';
import { createLogger } from '../shared/logging/index.js';
import { deleteKeysWithPrefix } from './lib/cleanup.js';
import { benchKeyring, steadyFleet } from './lib/fleet.js';
import { barePlatformatic, loadPlatformatic, type LoadedPlatformatic } from './lib/platformatic.js';
import { fmt, median, writeSection } from './lib/results.js';
import { wholeNumber, wholeNumbers } from './lib/options.js';

const values = new Command()
  .name('npx tsx bench/detector-throughput.ts')
  .description('The detector service beside a bare consumer of the same pre-produced topic (needs the local stack; writes its section of bench/RESULTS.md)')
  .option('--events <n>', 'signed events to pre-produce', wholeNumber(), 1_000_000)
  .option('--agents <n>', 'agents sending them', wholeNumber(), 10_000)
  .option('--partitions <n>', 'partitions of the topic', wholeNumber(), 12)
  .option('--rounds <n>', 'rounds (median); each runs the bare consumer, then the detector at each worker count', wholeNumber(), 1)
  .option('--verify-workers <list>', "measure the detector at each count of signature verification threads, comma-separated (default: the config's detector.verifyWorkers)", wholeNumbers(0))
  .option('--client <list>', 'bare-consumer ceilings to measure, comma-separated: kafkajs (always), platformatic (@platformatic/kafka installed by hand, see --platformatic-from)', 'kafkajs')
  .option('--platformatic-from <dir>', 'a directory whose node_modules holds @platformatic/kafka (also WARDEN_BENCH_PLATFORMATIC_FROM)')
  .parse()
  .opts<{ events: number; agents: number; partitions: number; rounds: number; verifyWorkers?: number[]; client: string; platformaticFrom?: string }>();
const N = values.events;
const AGENTS = values.agents;
const PARTITIONS = values.partitions;
const ROUNDS = values.rounds;
const log = (s: string) => process.stderr.write(`${s}\n`);

const base = loadConfig();
const WORKER_COUNTS = values.verifyWorkers ?? [base.detector.verifyWorkers];
const CLIENTS = [...new Set(['kafkajs', ...values.client.split(',').map((c) => c.trim()).filter(Boolean)])];
const unknownClient = CLIENTS.find((c) => c !== 'kafkajs' && c !== 'platformatic');
if (unknownClient) throw new Error(`--client: expected kafkajs or platformatic, got ${unknownClient}`);
// Loaded before anything is produced: a missing install fails in a second, with how to install it.
const platformatic: LoadedPlatformatic | null = CLIENTS.includes('platformatic') ? await loadPlatformatic(values.platformaticFrom ?? process.env.WARDEN_BENCH_PLATFORMATIC_FROM) : null;
const id = randomUUID().slice(0, 6);
const topics = Object.fromEntries(Object.entries(base.topics).map(([k, t]) => [k, { ...t, name: `bench.${t.name}.${id}`, partitions: k === 'events' ? PARTITIONS : 3 }])) as typeof base.topics;
const config = { ...base, topics, redis: { ...base.redis, keyPrefix: `warden-bench:throughput-${id}:` } };
/**
 * Each detector round on its own: its own alerts and DLQ topics and its own Redis state prefix (the events
 * topic is the one pre-produced stream). Sharing the prefix let round 2 resume round 1's state: it met
 * every agent again and alerted on all of them.
 */
const roundConfig = (r: number): typeof config => ({
  ...config,
  topics: { ...topics, alerts: { ...topics.alerts, name: `${topics.alerts.name}.r${r}` }, dlq: { ...topics.dlq, name: `${topics.dlq.name}.r${r}` } },
  redis: { ...config.redis, keyPrefix: `${config.redis.keyPrefix}r${r}:` },
});
// The command as run: tsx from source, node from the compiled tree.
const runner = process.argv[1]?.endsWith('.ts') ? 'npx tsx bench/detector-throughput.ts' : 'node dist/bench/detector-throughput.js';
const logger = createLogger('bench', { level: 'warn' });
const kafka = createKafka(config, logger);
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, config);
const keyring = benchKeyring(AGENTS);

// Pre-produce once.
{
  const t0 = performance.now();
  const publisher = new FleetPublisher(kafka, config, keyring);
  await publisher.connect();
  let chunk: Message[] = [];
  let done = 0;
  for (const o of steadyFleet(AGENTS, N)) {
    chunk.push(publisher.message(o));
    if (chunk.length === 5000) {
      await publisher.sendRaw(chunk);
      done += chunk.length;
      chunk = [];
      if (done % 100_000 === 0) log(`produced ${fmt(done)} / ${fmt(N)}`);
    }
  }
  if (chunk.length) await publisher.sendRaw(chunk);
  await publisher.disconnect();
  log(`pre-produced ${fmt(N)} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function bare(): Promise<number> {
  // The ceiling uses kafkajs directly, as a user would without Agent Warden.
  const k = new Kafka({ clientId: 'bench-bare', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const consumer = k.consumer({ groupId: `bench-bare-${randomUUID()}`, maxWaitTimeInMs: 100 });
  let count = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.connect();
  await consumer.subscribe({ topic: topics.events.name, fromBeginning: true });
  const t0 = performance.now();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
      if (count >= N) done();
    },
  });
  await finished;
  const s = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return N / s;
}

async function detector(round: number, verifyWorkers: number): Promise<{ rate: number; alerts: number }> {
  const own = roundConfig(round);
  await ensureTopics(admin, own);
  const service = new DetectorService({ config: own, logger, keyring, engine: createDetectionEngine(), groupId: `bench-detector-${randomUUID()}`, verifyWorkers });
  let count = 0;
  let alerts = 0;
  const t0 = performance.now();
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const timer = setInterval(async () => {
    const m = await service.registry.getSingleMetric('warden_detector_events_total')?.get();
    count = m?.values.reduce((s, v) => s + v.value, 0) ?? 0;
    if (count >= N) done();
  }, 100);
  await service.start();
  await finished;
  clearInterval(timer);
  // Stopping writes the last checkpoint (state and offsets): the run is done when that is durable.
  await service.stop();
  const s = (performance.now() - t0) / 1000;
  alerts = (await service.registry.getSingleMetric('warden_detector_alerts_total')?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0;
  const batches = (await service.registry.getSingleMetric('warden_detector_batch_seconds')?.get())?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;
  log(`detector: ${batches} batches, ${fmt(N / Math.max(1, batches))} events per batch on average`);
  return { rate: N / s, alerts };
}

const loadBefore = loadavg()[0]!;
const bareRates: number[] = [];
/** The @platformatic/kafka ceiling per round (when --client lists it), measured right after the kafkajs one. */
const pkRates: number[] = [];
/** Per verification worker count: its detector rate and alerts in each round. */
const detRates = new Map<number, number[]>(WORKER_COUNTS.map((w) => [w, []]));
const roundAlerts = new Map<number, number[]>(WORKER_COUNTS.map((w) => [w, []]));
let detectorRuns = 0;
for (let r = 0; r < ROUNDS; r++) {
  bareRates.push(await bare());
  log(`round ${r + 1}: bare ${fmt(bareRates.at(-1)!)} ev/s`);
  if (platformatic) {
    pkRates.push(await barePlatformatic(platformatic, config.kafka.brokers, topics.events.name, N));
    log(`round ${r + 1}: bare @platformatic/kafka ${platformatic.version} ${fmt(pkRates.at(-1)!)} ev/s`);
  }
  for (const workers of WORKER_COUNTS) {
    // Each detector run has its own alerts/DLQ topics and state prefix (roundConfig), so none resumes another's state.
    const d = await detector(++detectorRuns, workers);
    detRates.get(workers)!.push(d.rate);
    roundAlerts.get(workers)!.push(d.alerts);
    log(`round ${r + 1}: detector, ${workers} verify workers: ${fmt(d.rate)} ev/s (${d.alerts} alerts)`);
  }
}
const roundTopics = Array.from({ length: detectorRuns }, (_, r) => roundConfig(r + 1).topics).flatMap((t) => [t.alerts.name, t.dlq.name]);
await admin.deleteTopics({ topics: [...Object.values(topics).map((t) => t.name), ...roundTopics] }).catch(() => undefined);
await admin.disconnect();
log(`deleted ${await deleteKeysWithPrefix(config, config.redis.keyPrefix)} Redis keys of this run`);

const bareMedian = median(bareRates);
const ratios = WORKER_COUNTS.map((w) => median(detRates.get(w)!) / bareMedian);
const best = Math.max(...ratios);
const workerArg = `${values.verifyWorkers === undefined ? '' : ` --verify-workers ${WORKER_COUNTS.join(',')}`}${platformatic ? ` --client ${CLIENTS.join(',')} --platformatic-from <dir>` : ''}`;
const pkRow = platformatic
  ? `\n| ceiling: bare @platformatic/kafka ${platformatic.version} consumer, read and count only (records as Buffers)${platformatic.polyfilled ? ', with Promise.withResolvers added (Node 20 lacks it)' : ''} | ${fmt(median(pkRates))} | ${(median(pkRates) / median(bareRates)).toFixed(2)} |`
  : '';
const pkRounds = (r: number): string => (platformatic ? `, @platformatic/kafka ${fmt(pkRates[r]!)}` : '');
const rows = WORKER_COUNTS.map((w, i) => `| detector, ${w === 0 ? 'signatures verified inline (verifyWorkers 0)' : `signatures on ${w} verification worker thread${w > 1 ? 's' : ''}`} | ${fmt(median(detRates.get(w)!))} | ${ratios[i]!.toFixed(2)} |`).join('\n');
const table = `## Detector throughput vs the ceiling (bench/detector-throughput.ts)

\`${runner} --events ${N} --agents ${AGENTS} --partitions ${PARTITIONS} --rounds ${ROUNDS}${workerArg}\` — one pre-produced topic of ${fmt(N)} signed events from ${fmt(AGENTS)} agents on ${PARTITIONS} partitions, read from the start by a new consumer group each time; each detector run has its own alerts and DLQ topics and its own Redis state prefix (it starts with no state); local single-node Kafka and Redis on the same ${cpus().length} cores. Medians of ${ROUNDS} round(s); each round runs the bare consumer${platformatic ? ' (kafkajs, then @platformatic/kafka)' : ''}, then the detector (on kafkajs) at each verification worker count in turn. Ratios are to the bare kafkajs consumer.

The detector: decode (Avro), verify (HMAC-SHA256), detect (all detectors), produce alerts, checkpoint state to Redis and commit offsets (every ${config.detector.checkpointIntervalMs / 1000} s and at stop; the clock stops when the last checkpoint is written).

| consumer | events/s | ratio |
| --- | ---: | ---: |
| ceiling: bare kafkajs consumer, read and count only | ${fmt(bareMedian)} | 1.00 |${pkRow}
${rows}

Every round (events/s): ${bareRates.map((b, r) => `round ${r + 1}: bare ${fmt(b)}${pkRounds(r)}, ${WORKER_COUNTS.map((w) => `${w} workers ${fmt(detRates.get(w)![r]!)} (${roundAlerts.get(w)![r]} alerts)`).join(', ')}`).join('; ')}.

Load average (1 min) on the machine, which others share: ${loadBefore.toFixed(1)} before the runs, ${loadavg()[0]!.toFixed(1)} after; above the core count, the rates measure contention as much as the code.

Target ≥ 0.80: ${best >= 0.8 ? 'met' : '**missed**'}.`;
writeSection('detector-throughput', table);
console.log(table);
process.exit(0);
