/**
 * Latency at a fixed offered load, and the highest load that holds.
 *
 * A paced publisher (child process, the demo's FleetPublisher: Avro, signed)
 * sends a steady fleet at --rate events/s; every so often one more agent
 * spikes. The detector runs in this process; the responder in a child process
 * of its own (lib/responder-process.ts), as deployed, with a response policy
 * that quarantines rate spikes automatically. Latency: from the event's timestamp (wall clock when
 * the publisher built it, right before sending) to the Kafka append time of
 * the alert on security.alerts and of the QUARANTINE command on
 * agent.quarantine (both topics created with message.timestamp.type =
 * LogAppendTime, so the record timestamp is the broker's append time; one
 * host, one clock). Then the load steps up (--steps) and each step is judged
 * by whether the detector's lag (records appended minus records processed)
 * keeps growing.
 *
 * Agents start warm: their state (26 h of the same steady traffic, past the
 * one-day learning period) is computed with the pure engine for one template
 * agent per kind and written to Redis under each agent's id, the way the
 * detector stores it (the binary snapshot bytes its checkpoints write; JSON
 * text before 2026-12-03, which cost a step's new agents 26 KiB to load each
 * instead of ~3.6 KiB), before the detector starts.
 *
 *   npx tsx bench/latency.ts [--rate 5000] [--duration 60] [--steps 10000,20000] [--step-duration 30]
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Command } from 'commander';
import { createDetectionEngine } from '../services/detector/engine.js';
import { DetectorService } from '../services/detector/service.js';
import { encodeStoredState, StateStore, type StoredState } from '../services/detector/stateStore.js';
import { partitionOf } from '../shared/kafka/partitions.js';
import { loadConfig, type WardenConfig } from '../shared/config/index.js';
import { createEngine, encodeSnapshot, loadRules, type DetectionEvent, type Json } from '../shared/detection/index.js';
import { createKafka, ensureTopics } from '../shared/kafka/index.js';
import { createLogger } from '../shared/logging/index.js';
import { createRedis } from '../shared/redis/index.js';
import { createRegistry } from '../shared/registry/index.js';
import type { Alert, QuarantineCommand } from '../shared/schemas/generated.js';
import { Keyring } from '../shared/signing/index.js';
import { deleteKeysWithPrefix } from './lib/cleanup.js';
import { busyCores, cpuTicks, load1 } from './lib/machine.js';
import { BUCKET_MS, bucketedFleet, keyringData } from './lib/fleet.js';
import type { PublisherInit, PublisherPhase, PublisherProgress } from './lib/paced-publisher.js';
import type { ResponderHandled, ResponderInit, ResponderProgress } from './lib/responder-process.js';
import { fmt, quantile, writeSection } from './lib/results.js';

const program = new Command()
  .name('bench/latency.ts')
  .description('Event -> alert -> QUARANTINE latency at a fixed offered load, then load steps to find the highest load the detector holds (needs the local stack)')
  .option('--rate <n>', 'offered load of the measured phase, events/s (spikes included)', '5000')
  .option('--duration <s>', 'seconds of the measured phase', '60')
  .option('--steps <list>', 'further offered loads, events/s, comma-separated (empty: none)', '10000,20000')
  .option('--step-duration <s>', 'seconds per step', '30')
  .option('--warmup <s>', 'seconds at --rate before measuring (agents load into the detector cache), excluded', '5')
  .option('--agent-rate <n>', 'events/s of one background agent; the number of agents is load / agent-rate', '2.5')
  .option('--spikes-per-second <n>', 'agents starting a spike per second', '1')
  .option('--spike-events <n>', 'events in one spike', '60')
  .option('--spike-ms <n>', 'duration of one spike, ms', '1000')
  .option('--spike-baseline <n>', "a spike agent's usual events per five-minute bucket (its warm history)", '4')
  .option('--partitions <n>', 'partitions of the events topic', '12')
  .option('--linger-ms <n>', "publisher's shortest gap between sends (batches what falls due meanwhile)", '5')
  .parse();
const o = program.opts<{ rate: string; duration: string; steps: string; stepDuration: string; warmup: string; agentRate: string; spikesPerSecond: string; spikeEvents: string; spikeMs: string; spikeBaseline: string; partitions: string; lingerMs: string }>();
const RATE = Number(o.rate);
const DURATION = Number(o.duration);
const STEPS = o.steps.split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const STEP_DURATION = Number(o.stepDuration);
const WARMUP = Number(o.warmup);
const AGENT_RATE = Number(o.agentRate);
const SPIKES_PER_SECOND = Number(o.spikesPerSecond);
const SPIKE_EVENTS = Number(o.spikeEvents);
const SPIKE_MS = Number(o.spikeMs);
const SPIKE_BASELINE = Number(o.spikeBaseline);
const PARTITIONS = Number(o.partitions);
const LINGER_MS = Number(o.lingerMs);
const TARGET_ALERT_MS = 100;
const TARGET_COMMAND_MS = 250;
const ROLE = 'support';
const HISTORY_BUCKETS = 312; // 26 h: past the one-day learning period
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- isolated topics, groups and Redis prefix of this run ----
const id = randomUUID().slice(0, 8);
const base = loadConfig();
const appendTime = { 'message.timestamp.type': 'LogAppendTime' };
const topics = Object.fromEntries(
  Object.entries(base.topics).map(([k, t]) => [
    k,
    { ...t, name: `bench.${t.name}.lat-${id}`, partitions: k === 'events' ? PARTITIONS : t.partitions, configs: k === 'alerts' || k === 'quarantine' ? { ...t.configs, ...appendTime } : t.configs },
  ]),
) as WardenConfig['topics'];
const prefix = `warden-bench:latency-${id}:`;
const config: WardenConfig = { ...base, topics, redis: { ...base.redis, keyPrefix: prefix } };
const groups = { detector: `bench-lat-${id}-detector`, responder: `bench-lat-${id}-responder`, watcher: `bench-lat-${id}-watcher` };
const logger = createLogger('bench', { level: 'warn' });
const kafka = createKafka(config, logger, 'bench-latency');
const admin = kafka.admin();
await admin.connect();
// On a crash, still remove what this run created (topics, groups, Redis keys) before exiting.
let crashCleanup: () => Promise<void> = async () => {
  await admin.deleteGroups(Object.values(groups)).catch(() => undefined);
  await admin.deleteTopics({ topics: Object.values(topics).map((t) => t.name) }).catch(() => undefined);
  await deleteKeysWithPrefix(config, prefix).catch(() => undefined);
};
for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(ev, (err) => {
    log(`failed: ${(err as Error)?.stack ?? String(err)}`);
    void crashCleanup().finally(() => process.exit(1));
  });
}
await ensureTopics(admin, config);
{
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [topics.alerts.name, topics.quarantine.name].map((name) => ({ type: 2, name, configNames: ['message.timestamp.type'] })) });
  for (const r of described.resources) {
    const v = r.configEntries.find((e) => e.configName === 'message.timestamp.type')?.configValue;
    if (v !== 'LogAppendTime') throw new Error(`${r.resourceName}: message.timestamp.type is ${v}, expected LogAppendTime`);
  }
}

// ---- the fleet ----
const phases: { name: string; rate: number; seconds: number; measured: boolean }[] = [
  ...(WARMUP > 0 ? [{ name: 'warm-up', rate: RATE, seconds: WARMUP, measured: false }] : []),
  { name: 'measured', rate: RATE, seconds: DURATION, measured: true },
  ...STEPS.map((r) => ({ name: `step ${fmt(r)}`, rate: r, seconds: STEP_DURATION, measured: true })),
];
const spikeRate = SPIKES_PER_SECOND * SPIKE_EVENTS;
const bgAgentsFor = (rate: number) => Math.max(1, Math.round(Math.max(0, rate - spikeRate) / AGENT_RATE));
const maxBg = Math.max(...phases.map((p) => bgAgentsFor(p.rate)));
const spikeCount = Math.ceil(SPIKES_PER_SECOND * phases.reduce((s, p) => s + p.seconds, 0)) + 5;
const background = Array.from({ length: maxBg }, (_, i) => `lat-bg-${String(i).padStart(6, '0')}`);
const spikes = Array.from({ length: spikeCount }, (_, i) => `lat-spike-${String(i).padStart(5, '0')}`);
const spikeSet = new Set(spikes);
const keys = keyringData([...background, ...spikes]);

// Warm state: one template agent per kind through the pure engine, then cloned under every agent's id. Each agent's
// history ends when it starts sending: the background agents a step adds are seeded again right before their step
// (seeded once at the start, their history ended minutes before their first event, and the silent buckets between
// read as the agent going quiet: thousands of drop alerts on perfectly regular agents, by timing luck).
const warmRules = loadRules();
const warmRedis = createRedis(config);
// Its own group: the covered offset it writes beside the states must not be the detector's.
const warmStore = new StateStore(warmRedis, 'bench-warm-state');
const template = (perBucket: number, now: number): string => {
  const engine = createEngine(warmRules);
  // The history runs up to now, the open bucket included: history that ended at the last bucket boundary left
  // the first live bucket partly empty, and at its close every warm agent (rate-spike.agent looks both ways) read
  // as having gone quiet for minutes: thousands of drop alerts whenever a run crossed a boundary.
  for (const e of bucketedFleet(['TEMPLATE-AGENT'], () => ROLE, HISTORY_BUCKETS + 1, perBucket, now + BUCKET_MS)) {
    if (e.timestamp > now) break;
    (e as DetectionEvent).verification = 'valid';
    engine.process(e as DetectionEvent);
  }
  return JSON.stringify(engine.snapshotAgent('TEMPLATE-AGENT'));
};
const BG_PER_BUCKET = Math.round(AGENT_RATE * (BUCKET_MS / 1000));
/** Each agent's state under its partition's hash tag, where the detector will look for it; yields between chunks. */
const seed = async (agents: string[], json: string): Promise<void> => {
  const byPartition = new Map<number, string[]>();
  for (const a of agents) {
    const p = partitionOf(a, PARTITIONS);
    byPartition.set(p, [...(byPartition.get(p) ?? []), a]);
  }
  for (const [p, ids] of byPartition) {
    for (let i = 0; i < ids.length; i += 500) {
      // The template under the agent's id, encoded as the detector's checkpoints encode it.
      const states = new Map<string, StoredState>(ids.slice(i, i + 500).map((a) => [a, encodeStoredState(encodeSnapshot(JSON.parse(json.split('TEMPLATE-AGENT').join(a)) as Json))]));
      await warmStore.commit(topics.events.name, p, '-1', states, 3600, [-1n]); // the offset stays -1: only the states are seeded
    }
  }
};
{
  const t0 = performance.now();
  const now = Date.now();
  const bgTemplate = template(BG_PER_BUCKET, now);
  const spikeTemplate = template(SPIKE_BASELINE, now);
  await seed(background, bgTemplate);
  await seed(spikes, spikeTemplate);
  const storedKiB = (json: string) => fmt(encodeSnapshot(JSON.parse(json) as Json).length / 1024, 1);
  log(`warm state for ${fmt(background.length)} background agents (${storedKiB(bgTemplate)} KiB each as stored) and ${spikes.length} spike agents (${storedKiB(spikeTemplate)} KiB each) written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// ---- the pipeline under test: the detector in this process, the responder in its own ----
const policy = {
  version: 1,
  protectedAgents: [],
  // The default breaker (10 agents a minute) would hold most of these spikes for a human: one agent spikes per second here.
  circuitBreaker: { maxAgents: 1_000_000, windowMs: 60_000 },
  rules: [
    { id: 'bench-spike-quarantine', description: 'Rate spikes: quarantine at once.', match: { rules: ['rate-spike.*'] }, action: 'quarantine', mode: 'auto', ttlMs: 3_600_000 },
    { id: 'notify', description: 'Everything else: SIEM only.', match: {}, action: 'notify' },
  ],
};
const keyring = new Keyring(keys);
const detector = new DetectorService({ config, logger, keyring, engine: createDetectionEngine(), groupId: groups.detector });
// The responder reports when it starts deciding each alert and how long deciding and acting takes (it wraps
// handleAlert to observe, not change it); both processes read one host clock.
const handling = new Map<string, { startedAt: number; ms: number }>();
const handlingAll: { startedAt: number; ms: number; first: boolean }[] = []; // every call, first decisions and re-decisions
const responder = fork(fileURLToPath(new URL('./lib/responder-process.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let responderReady = false;
let responderStopped = false;
let responderCpu: ResponderProgress | null = null;
responder.on('message', (m: ResponderHandled | ResponderProgress | { type: 'ready' }) => {
  if (m.type === 'ready') responderReady = true;
  else if (m.type === 'handled') {
    const first = !handling.has(m.alertId);
    if (first) handling.set(m.alertId, { startedAt: m.startedAt, ms: m.ms });
    handlingAll.push({ startedAt: m.startedAt, ms: m.ms, first });
  } else {
    responderCpu = m;
    if (m.type === 'stopped') responderStopped = true;
  }
});
responder.on('exit', (code) => {
  if (!responderStopped) log(`responder exited with code ${code}`);
  responderStopped = true;
});
{
  const stopAll = crashCleanup;
  crashCleanup = async () => {
    responder.kill();
    await stopAll();
  };
}
responder.send({ type: 'init', config, policy, groupId: groups.responder } satisfies ResponderInit);
await detector.start();
while (!responderReady) {
  if (responderStopped) throw new Error('the responder did not start');
  await sleep(20);
}

// ---- what comes out ----
interface SeenAlert { alert: Alert; appendTs: number; receivedAt: number }
interface SeenCommand { cmd: QuarantineCommand; appendTs: number }
const alerts = new Map<string, SeenAlert>(); // first emission (count 1) per alertId
const commands = new Map<string, SeenCommand>();
const alertsByRule = new Map<string, number>();
let alertRecords = 0; // every record on the alerts topic: first emissions and updates (a growing or escalating incident)
const registry = createRegistry(config);
const watcher = kafka.consumer({ groupId: groups.watcher, maxWaitTimeInMs: 50 });
let watcherJoined = false;
watcher.on(watcher.events.GROUP_JOIN, () => void (watcherJoined = true));
await watcher.connect();
await watcher.subscribe({ topics: [topics.alerts.name, topics.quarantine.name], fromBeginning: true });
await watcher.run({
  eachBatch: async ({ batch }) => {
    const receivedAt = Date.now();
    for (const m of batch.messages) {
      if (!m.value) continue;
      const appendTs = Number(m.timestamp);
      if (batch.topic === topics.alerts.name) {
        const a = (await registry.decode(m.value)) as Alert;
        alertRecords++;
        if (a.count === 1 && !alerts.has(a.alertId)) {
          alerts.set(a.alertId, { alert: a, appendTs, receivedAt });
          alertsByRule.set(a.ruleId, (alertsByRule.get(a.ruleId) ?? 0) + 1);
        }
      } else {
        const c = (await registry.decode(m.value)) as QuarantineCommand;
        if (!commands.has(c.commandId)) commands.set(c.commandId, { cmd: c, appendTs });
      }
    }
  },
});
while (!watcherJoined) await sleep(50);

async function metricSum(name: string, suffix?: string): Promise<number> {
  const m = await detector.registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values.filter((v) => !suffix || (v as { metricName?: string }).metricName?.endsWith(suffix)).reduce((s, v) => s + v.value, 0);
}
const processed = () => metricSum('warden_detector_events_total');
async function produced(): Promise<number> {
  return (await admin.fetchTopicOffsets(topics.events.name)).reduce((s, p) => s + Number(p.high), 0);
}

// ---- the publisher ----
const child = fork(fileURLToPath(new URL('./lib/paced-publisher.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let pub: PublisherProgress | null = null;
let ready = false;
let stopped = false;
child.on('message', (m: { type: string }) => {
  if (m.type === 'ready') ready = true;
  else if (m.type === 'progress' || m.type === 'stopped') pub = m as PublisherProgress;
  if (m.type === 'stopped') stopped = true;
});
child.on('exit', (code) => {
  if (!stopped) log(`publisher exited with code ${code}`);
  stopped = true;
});
child.send({ type: 'init', config, keyring: keys, background, spikes, role: ROLE, spikeEvents: SPIKE_EVENTS, spikeMs: SPIKE_MS, lingerMs: LINGER_MS, maxBatch: 5000 } satisfies PublisherInit);
while (!ready) {
  if (stopped) throw new Error('the publisher did not start');
  await sleep(20);
}
const stopChild = crashCleanup;
crashCleanup = async () => {
  child.kill();
  await stopChild();
};
const setPhase = (p: Omit<PublisherPhase, 'type'>) => child.send({ type: 'phase', ...p } satisfies PublisherPhase);

// ---- phases ----
interface PhaseResult {
  name: string;
  rate: number;
  seconds: number;
  measured: boolean;
  agents: number;
  startWall: number;
  endWall: number;
  achieved: number;
  processedRate: number;
  lagSlope: number;
  lagEnd: number;
  lagMax: number;
  drainSeconds: number | null;
  spikesStarted: number;
  eld: { p50: number; p99: number; max: number };
  cpuParent: number;
  cpuChild: number;
  cpuResponder: number;
  batches: number;
  batchMeanMs: number;
  checkpoints: number;
  checkpointMeanMs: number;
  checkpointShare: number;
  maxSendMs: number;
  sendP50: number;
  sendP99: number;
  machineCores: number;
  load1: number;
  holds: boolean;
}

function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
const results: PhaseResult[] = [];
let sendingAgents = 0;
for (const phase of phases) {
  const agents = bgAgentsFor(phase.rate);
  if (agents > sendingAgents) {
    // The agents this phase adds start now: their warm history ends now (see the warm state above).
    if (sendingAgents > 0) {
      const t1 = performance.now();
      await seed(background.slice(sendingAgents, agents), template(BG_PER_BUCKET, Date.now()));
      log(`${phase.name}: warm state of its ${fmt(agents - sendingAgents)} new agents written again, ending now, in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
    sendingAgents = agents;
  }
  const before = { pub: pub as PublisherProgress | null, responderCpu: (responderCpu as ResponderProgress | null)?.cpuMicros ?? 0, processed: await processed(), batches: await metricSum('warden_detector_batch_seconds', '_count'), batchSum: await metricSum('warden_detector_batch_seconds', '_sum'), cps: await metricSum('warden_detector_checkpoint_seconds', '_count'), cpSum: await metricSum('warden_detector_checkpoint_seconds', '_sum'), cpu: process.cpuUsage() };
  eld.reset();
  const ticks = cpuTicks();
  const startWall = Date.now();
  const t0 = performance.now();
  setPhase({ backgroundRate: Math.max(0, phase.rate - spikeRate), backgroundAgents: agents, spikesPerSecond: SPIKES_PER_SECOND });
  const samples: [number, number][] = [];
  let maxSendMs = 0;
  let lagMax = 0;
  while (performance.now() - t0 < phase.seconds * 1000) {
    await sleep(1000);
    const t = (performance.now() - t0) / 1000;
    const lag = (await produced()) - (await processed());
    samples.push([t, lag]);
    lagMax = Math.max(lagMax, lag);
    const p = pub as PublisherProgress | null;
    maxSendMs = Math.max(maxSendMs, p?.maxSendMs ?? 0);
    if (samples.length % 5 === 0) log(`${phase.name}: ${t.toFixed(0)} s, offered ${fmt(phase.rate)} ev/s, published ${fmt(p?.acked ?? 0)}, lag ${fmt(lag)}, alerts ${alerts.size}, commands ${commands.size}${p?.behind ? `, publisher behind by ${fmt(p.behind)}` : ''}`);
  }
  setPhase({ backgroundRate: 0, backgroundAgents: agents, spikesPerSecond: 0 });
  const endWall = Date.now();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(before.cpu);
  const machineCores = busyCores(ticks, cpuTicks());
  const processedInPhase = (await processed()) - before.processed;
  await sleep(300); // the publisher's last progress message
  const after = pub as PublisherProgress | null;
  // Drain: wait for the detector to catch up before the next phase.
  const d0 = performance.now();
  let drainSeconds: number | null = null;
  while (performance.now() - d0 < 120_000) {
    if ((await processed()) >= (await produced())) {
      drainSeconds = (performance.now() - d0) / 1000;
      break;
    }
    await sleep(200);
  }
  const batches = (await metricSum('warden_detector_batch_seconds', '_count')) - before.batches;
  const batchSum = (await metricSum('warden_detector_batch_seconds', '_sum')) - before.batchSum;
  const checkpoints = (await metricSum('warden_detector_checkpoint_seconds', '_count')) - before.cps;
  const cpSum = (await metricSum('warden_detector_checkpoint_seconds', '_sum')) - before.cpSum;
  const achieved = ((after?.acked ?? 0) - (before.pub?.acked ?? 0)) / seconds;
  // Judge the lag after the first fifth of the phase (the publisher ramps, the detector settles).
  const lagSlope = slope(samples.filter(([t]) => t >= phase.seconds / 5));
  const r: PhaseResult = {
    name: phase.name, rate: phase.rate, seconds, measured: phase.measured, agents, startWall, endWall, achieved,
    processedRate: processedInPhase / seconds, lagSlope, lagEnd: samples.at(-1)?.[1] ?? 0, lagMax, drainSeconds,
    spikesStarted: (after?.spikesStarted ?? 0) - (before.pub?.spikesStarted ?? 0),
    eld: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
    cpuParent: (cpu.user + cpu.system) / 1e6 / seconds,
    cpuChild: ((after?.cpuMicros ?? 0) - (before.pub?.cpuMicros ?? 0)) / 1e6 / (seconds + (performance.now() - d0) / 1000),
    cpuResponder: (((responderCpu as ResponderProgress | null)?.cpuMicros ?? 0) - before.responderCpu) / 1e6 / (seconds + (performance.now() - d0) / 1000),
    batches, batchMeanMs: batches > 0 ? (batchSum / batches) * 1000 : 0, checkpoints, checkpointMeanMs: checkpoints > 0 ? (cpSum / checkpoints) * 1000 : 0, checkpointShare: cpSum / (seconds + (drainSeconds ?? 0)), maxSendMs, sendP50: after?.sendP50 ?? 0, sendP99: after?.sendP99 ?? 0, machineCores, load1: load1(),
    holds: achieved >= 0.95 * phase.rate && lagSlope <= 0.02 * phase.rate && drainSeconds !== null,
  };
  results.push(r);
  log(`${phase.name}: achieved ${fmt(achieved)} ev/s, detector ${fmt(r.processedRate)} ev/s, lag slope ${fmt(lagSlope)} ev/s, end lag ${fmt(r.lagEnd)}, drained in ${drainSeconds === null ? 'not within 120 s' : `${drainSeconds.toFixed(1)} s`} -> ${r.holds ? 'holds' : 'does not hold'}`);
  if (phase.measured && !r.holds && phase !== phases.at(-1)) {
    log(`${phase.name} did not hold: the higher steps are not run`);
    break;
  }
}
eld.disable();

// Let the last alerts and commands arrive, then stop everything this run started.
crashCleanup = async () => undefined;
await sleep(3000);
child.send({ type: 'stop' });
for (let i = 0; i < 100 && !stopped; i++) await sleep(50);
await watcher.disconnect();
responder.send({ type: 'stop' });
for (let i = 0; i < 200 && !responderStopped; i++) await sleep(50);
await detector.stop();
await warmRedis.quit();
await admin.deleteGroups(Object.values(groups)).catch(() => undefined);
await admin.deleteTopics({ topics: Object.values(topics).map((t) => t.name) }).catch(() => undefined);
await admin.disconnect();
const deleted = await deleteKeysWithPrefix(config, prefix);
log(`cleaned up: topics, consumer groups and ${deleted} Redis keys of this run`);

// ---- latencies per phase ----
interface Lat { calls: number; repeatCalls: number; busyShare: number; repeatMs: number[]; watcher: number[]; alerts: number[]; commands: number[]; responder: number[]; responderWait: number[]; responderHandle: number[]; spikeAgentsAlerted: number; otherAlerts: number }
function latencies(r: PhaseResult): Lat {
  const inPhase = [...alerts.values()].filter((a) => a.alert.firstSeen >= r.startWall && a.alert.firstSeen < r.endWall);
  const ids = new Set(inPhase.map((a) => a.alert.alertId));
  const cmd = [...commands.values()].filter((c) => c.cmd.type === 'QUARANTINE' && c.cmd.alertIds.some((x) => ids.has(x)));
  return {
    alerts: inPhase.map((a) => a.appendTs - a.alert.firstSeen).sort((a, b) => a - b),
    commands: cmd.map((c) => c.appendTs - Math.min(...c.cmd.alertIds.map((x) => alerts.get(x)?.alert.firstSeen ?? Infinity))).sort((a, b) => a - b),
    responder: cmd.map((c) => c.appendTs - Math.min(...c.cmd.alertIds.map((x) => alerts.get(x)?.appendTs ?? Infinity))).sort((a, b) => a - b),
    ...(() => {
      const calls = handlingAll.filter((h) => h.startedAt >= r.startWall && h.startedAt < r.endWall);
      const repeats = calls.filter((h) => !h.first);
      return { calls: calls.length, repeatCalls: repeats.length, busyShare: calls.reduce((s2, h) => s2 + h.ms, 0) / (r.endWall - r.startWall), repeatMs: repeats.map((h) => h.ms).sort((a, b) => a - b) };
    })(),
    watcher: inPhase.map((a) => a.receivedAt - a.appendTs).sort((a, b) => a - b),
    responderWait: inPhase.filter((a) => handling.has(a.alert.alertId)).map((a) => handling.get(a.alert.alertId)!.startedAt - a.appendTs).sort((a, b) => a - b),
    responderHandle: inPhase.filter((a) => handling.has(a.alert.alertId)).map((a) => handling.get(a.alert.alertId)!.ms).sort((a, b) => a - b),
    spikeAgentsAlerted: new Set(inPhase.filter((a) => spikeSet.has(a.alert.agentId)).map((a) => a.alert.agentId)).size,
    otherAlerts: inPhase.filter((a) => !spikeSet.has(a.alert.agentId)).length,
  };
}
function whyNot(r: PhaseResult): string {
  const why: string[] = [];
  if (r.achieved < 0.95 * r.rate) why.push(`the publisher delivered only ${fmt((100 * r.achieved) / r.rate, 1)}%`);
  if (r.lagSlope > 0.02 * r.rate) why.push('the lag grew');
  if (r.drainSeconds === null) why.push('no drain within 120 s');
  return why.join(', ');
}
const ms = (xs: number[], q: number) => (xs.length ? `${fmt(quantile(xs, q))} ms` : '-');
const measured = results.filter((r) => r.measured);
const main = measured[0]!;
const mainLat = latencies(main);
// Alerts on background agents (ordinary, regular traffic: each is a false alert), per phase: which agents (those
// sending since an earlier phase, or added by this one) and what they said, so an artifact can be told from a finding.
const firstAgents = bgAgentsFor(phases[0]!.rate);
const backgroundIndex = new Map(background.map((a, i) => [a, i]));
for (const r of measured) {
  const onBackground = [...alerts.values()].filter((a) => a.alert.firstSeen >= r.startWall && a.alert.firstSeen < r.endWall && backgroundIndex.has(a.alert.agentId));
  if (onBackground.length === 0) continue;
  const added = onBackground.filter((a) => backgroundIndex.get(a.alert.agentId)! >= firstAgents).length;
  const byRule = new Map<string, number>();
  for (const a of onBackground) byRule.set(a.alert.ruleId, (byRule.get(a.alert.ruleId) ?? 0) + 1);
  const samples = onBackground.slice(0, 3).map((a) => `${a.alert.agentId} +${((a.alert.firstSeen - r.startWall) / 1000).toFixed(1)} s: ${a.alert.title}`);
  log(`${r.name}: ${onBackground.length} alerts on background agents (${added} on agents added after the first phase); ${[...byRule].map(([k, v]) => `${k} ${v}`).join(', ')}; e.g. ${samples.join(' | ')}`);
}
const rows = measured.map((r) => {
  const l = latencies(r);
  return `| ${fmt(r.rate)} | ${fmt(r.agents)} + ${r.spikesStarted} spiking | ${fmt(r.achieved)} | ${fmt(r.processedRate)} | ${fmt(r.lagSlope)} | ${fmt(r.lagEnd)} | ${r.drainSeconds === null ? '> 120 s' : `${r.drainSeconds.toFixed(1)} s`} | ${l.alerts.length} | ${ms(l.alerts, 0.5)} / ${ms(l.alerts, 0.99)} | ${l.commands.length} | ${ms(l.commands, 0.5)} / ${ms(l.commands, 0.99)} | ${r.holds ? 'yes' : `**no**: ${whyNot(r)}`} |`;
});
const obs = measured.map((r) => {
  const l = latencies(r);
  const others = r.machineCores - r.cpuParent - r.cpuChild - r.cpuResponder;
  return `| ${fmt(r.rate)} | ${fmt(r.machineCores, 2)} | ${fmt(r.cpuParent, 2)} | ${fmt(r.cpuResponder, 2)} | ${fmt(r.cpuChild, 2)} | ${fmt(others, 2)} | ${fmt(r.load1, 1)} | ${fmt(r.eld.p50, 1)} / ${fmt(r.eld.p99, 1)} / ${fmt(r.eld.max)} ms | ${fmt(r.batchMeanMs, 1)} ms (${fmt(r.batches)}) | ${r.checkpoints ? `${fmt(r.checkpointMeanMs, 1)} ms (${fmt(r.checkpoints)}), ${fmt(r.checkpointShare * 100)}%` : '-'} | ${fmt(r.sendP50)} / ${fmt(r.sendP99)} ms | ${ms(l.responder, 0.5)} / ${ms(l.responder, 0.99)} | ${ms(l.responderWait, 0.5)} / ${ms(l.responderWait, 0.99)} | ${ms(l.watcher, 0.5)} / ${ms(l.watcher, 0.99)} | ${ms(l.responderHandle, 0.5)} / ${ms(l.responderHandle, 0.99)} | ${fmt(l.calls)} (${fmt(l.repeatCalls)} on records already decided: ${ms(l.repeatMs, 0.5)} / ${ms(l.repeatMs, 0.99)}), busy ${fmt(l.busyShare * 100)}% |`;
});
const held = measured.filter((r) => r.holds);
const highest = held.length ? Math.max(...held.map((r) => r.rate)) : null;
const notRun = STEPS.filter((s) => !measured.some((r) => r.rate === s && r.name.startsWith('step')));
const p99a = mainLat.alerts.length ? quantile(mainLat.alerts, 0.99) : Number.NaN;
const p99c = mainLat.commands.length ? quantile(mainLat.commands, 0.99) : Number.NaN;
const cmdline = `npx tsx bench/latency.ts --rate ${RATE} --duration ${DURATION} --steps ${STEPS.join(',') || "''"} --step-duration ${STEP_DURATION} --warmup ${WARMUP} --agent-rate ${AGENT_RATE} --spikes-per-second ${SPIKES_PER_SECOND} --spike-events ${SPIKE_EVENTS} --spike-ms ${SPIKE_MS} --partitions ${PARTITIONS}`;
const table = `## Latency at a fixed offered load (bench/latency.ts)

\`${cmdline}\` — a paced publisher in a child process (the demo's FleetPublisher: Avro, HMAC-signed, acks=-1, a send at most every ${LINGER_MS} ms) offers ${fmt(RATE)} events/s for ${DURATION} s after a ${WARMUP} s warm-up: ${fmt(bgAgentsFor(RATE))} background agents at ${AGENT_RATE} events/s each, and ${SPIKES_PER_SECOND} agent(s) per second spiking (${SPIKE_EVENTS} events in ${SPIKE_MS} ms against a usual ${SPIKE_BASELINE} per five minutes). Every agent starts warm: 26 h of the same traffic (past the one-day learning period), computed with the pure engine and stored in Redis as the detector stores state. The detector runs in the benchmark's process, the responder in a process of its own, as deployed (with a policy that quarantines \`rate-spike.*\` automatically and a circuit breaker out of the way: the default policy sends HIGH rate spikes to a human and its breaker holds more than 10 isolations a minute). ${PARTITIONS}-partition events topic; local single-node Kafka, registry and Redis on the same 2 cores.

**Latency** is from the event's timestamp (the publisher's wall clock when it built the event, right before sending; for an alert, its \`firstSeen\`, which is the timestamp of the event that crossed the threshold) to the Kafka **append** time of the record: \`security.alerts\` and \`agent.quarantine\` are created with \`message.timestamp.type=LogAppendTime\`, so a record's timestamp is the broker's clock when it was appended (same host, same clock). A command's latency counts from the event behind the alert it cites. First emissions only (an incident's later updates have the same id). Percentiles are of the alerts and commands counted in the table; with n samples, p99 is the sorted value at 0-based rank ⌊0.99·n⌋ (for n ≤ 100, the largest).

| offered events/s | agents | published events/s | detector events/s | lag growth (events/s) | lag at end | drained in | alerts | alert p50 / p99 | QUARANTINE commands | command p50 / p99 | holds |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |
${rows.join('\n')}

At ${fmt(RATE)} events/s: p99 event → alert **${Number.isNaN(p99a) ? 'not measured (no alert)' : `${fmt(p99a)} ms`}** (target ≤ ${TARGET_ALERT_MS} ms: ${p99a <= TARGET_ALERT_MS ? 'met' : '**missed**'}), p99 event → QUARANTINE **${Number.isNaN(p99c) ? 'not measured (no command)' : `${fmt(p99c)} ms`}** (target ≤ ${TARGET_COMMAND_MS} ms: ${p99c <= TARGET_COMMAND_MS ? 'met' : '**missed**'}); ${mainLat.spikeAgentsAlerted} of ${main.spikesStarted} spiking agents alerted, ${mainLat.otherAlerts} alerts on background agents. Alerts by rule over the whole run: ${[...alertsByRule].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} (first emissions); ${fmt(alertRecords)} alert records in all on the alerts topic, updates included (the responder runs \`handleAlert\` on every one of them).

A load **holds** when the publisher delivered ≥ 95% of it, the detector's lag (records appended to the events topic minus records processed, sampled every second, after the first fifth of the step) grew by at most 2% of the load per second, and the backlog drained afterwards. Highest load that held: **${highest === null ? 'none of those tried' : `${fmt(highest)} events/s`}**${notRun.length ? ` (not run: ${notRun.map((s) => fmt(s)).join(', ')}, after a lower load did not hold)` : ''}${highest !== null && highest === Math.max(...measured.map((r) => r.rate)) ? ' (the highest tried; the ceiling may be higher)' : ''}.

Where the time goes, per load. CPU in cores (the machine has ${cpus().length}): the whole machine from /proc/stat, the benchmark process (detector + watcher), the responder's process, the publisher, and the rest (Kafka, the registry, Redis, and anything else running on the host meanwhile). Event-loop delay of the benchmark process (a blocked loop delays every batch and alert in it). Checkpoint: the detector writing a partition's changed agents' state to Redis (one deflated binary snapshot per agent) and committing its offset; share = summed checkpoint time / wall time (checkpoints of different partitions overlap, so it can exceed 100%). Publisher leg: from an event's timestamp to Kafka's acknowledgement of its send. Responder leg: from the alert's append to the command's append; split into the wait until the responder's \`handleAlert\` starts on the alert (fetch and the alerts queued before it: the responder decides one alert at a time) and \`handleAlert\` itself (policy, audit appends, command produce, Redis writes), timed by wrapping the method.

| offered events/s | machine busy | benchmark process (detector) | responder process | publisher | rest of the host | load avg (1 min) | event-loop delay p50 / p99 / max | detector batch mean (count) | checkpoint mean (count), share of wall time | publisher leg p50 / p99 | responder leg p50 / p99 | of which: alert appended → responder starts on it | for comparison: alert appended → the benchmark's own consumer receives it | responder deciding + acting (first decision) | responder \`handleAlert\` calls in the phase (p50 / p99 of repeats), share of wall time inside it |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${obs.join('\n')}`;
writeSection('latency', table);
console.log(table);
process.exit(0);
