/**
 * Memory per tracked agent: the pure engine (shared/detection createEngine)
 * fed steady traffic until its baselines are warm, for each fleet size.
 * Heap: process heap after a full GC, with the engine holding the fleet,
 * minus the heap before it existed, divided by the agents. Redis: the agents'
 * snapshots written the way the detector writes them (StateStore.commit:
 * the binary snapshot as raw bytes, one key per agent, with a TTL) under a key prefix of this run,
 * measured with MEMORY USAGE per key and the INFO used_memory delta, then
 * deleted.
 *
 *   node --expose-gc --import tsx bench/memory.ts [--agents 10000,100000] [--buckets 48] [--per-bucket 3]
 *
 * A last row is the labelled scenario (cli/simulate: 60 agents of 9 roles over 8 days, chained tasks, customers
 * mailed, hosts browsed): what agents with realistic variety hold, where the steady fleet rotates 17 resources.
 *
 * Needs global.gc: without --expose-gc it re-runs itself with the flag.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { wholeNumber, wholeNumbers } from './lib/options.js';
import { agentStateKey, encodeStoredState, StateStore, tagState, type StoredState } from '../services/detector/stateStore.js';
import { loadConfig } from '../shared/config/index.js';
import { createEngine, loadRules, type DetectionEvent, type Engine } from '../shared/detection/index.js';
import { createRedis, type Redis } from '../shared/redis/index.js';
import { deleteKeysWithPrefix } from './lib/cleanup.js';
import { BUCKET_MS, bucketedFleet } from './lib/fleet.js';
import { generateScenario } from '../cli/simulate/scenario/generator.js';
import { fmt, writeSection } from './lib/results.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  // Same command again, with the flags this benchmark needs.
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=12288', '--import', 'tsx', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const program = new Command()
  .name('bench/memory.ts')
  .description('Heap and Redis bytes per tracked agent, pure engine with warm baselines (needs Redis; run node with --expose-gc)')
  .option('--agents <list>', 'fleet sizes, comma-separated', wholeNumbers(1), [10_000, 100_000])
  .option('--buckets <n>', 'five-minute buckets of history fed per agent (48 = 4 h: every rolling window full)', wholeNumber(), 48)
  .option('--per-bucket <n>', 'events per agent per bucket', wholeNumber(), 3)
  .option('--redis-sample <n>', 'agents whose snapshots are written to Redis per fleet size (all if the fleet is smaller)', wholeNumber(), 10_000)
  .option('--reference-agents <n>', 'a small fleet fed a longer history, to show how much state grows past --buckets (0: skip)', wholeNumber(0), 1_000)
  .option('--reference-buckets <n>', 'buckets of history for the reference fleet (312 = 26 h, past the one-day learning period)', wholeNumber(), 312)
  .option('--scenario-seed <n>', 'seed of the labelled scenario measured last (-1: skip)', wholeNumber(-1), 5)
  .parse();
const o = program.opts<{ agents: number[]; buckets: number; perBucket: number; redisSample: number; referenceAgents: number; referenceBuckets: number; scenarioSeed: number }>();
const SIZES = o.agents;
const BUCKETS = o.buckets;
const PER_BUCKET = o.perBucket;
const SAMPLE = o.redisSample;
const REF_AGENTS = o.referenceAgents;
const REF_BUCKETS = o.referenceBuckets;
const log = (s: string) => process.stderr.write(`${s}\n`);
const TTL_SECONDS = 30 * 24 * 3600; // the detector's default state TTL

const base = loadConfig();
const prefix = `warden-bench:memory-${randomUUID().slice(0, 8)}:`;
const config = { ...base, redis: { ...base.redis, keyPrefix: prefix } };
const rules = loadRules();
for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(ev, (err) => {
    log(`failed: ${(err as Error)?.stack ?? String(err)}`);
    void deleteKeysWithPrefix(config, prefix).catch(() => undefined).finally(() => process.exit(1));
  });
}
const END = Math.floor(Date.UTC(2026, 10, 18, 12) / BUCKET_MS) * BUCKET_MS; // a fixed Wednesday noon: the same history every run
const ROLES = ['support', 'finance', 'research'];

/** Heap and typed-array backing stores after full GCs: V8 keeps a typed array's bytes outside the heap (`arrayBuffers`), so heapUsed alone undercounts the baselines' rings and profiles. */
async function fullGc(): Promise<{ heap: number; buffers: number }> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

function agentIds(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => `mem-${tag}-${String(i).padStart(6, '0')}`);
}

interface Row {
  /** What the agents were fed (the first column). */
  label: string;
  agents: number;
  buckets: number;
  events: number;
  feedSeconds: number;
  heapPerAgent: number;
  buffersPerAgent: number;
  peersBytes: number;
  storedBytes: number;
  redisSampled: number;
  redisUsage: number;
  redisInfoDelta: number;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** What one row feeds the engine: its agents and their events in event-time order. */
interface Feed {
  label: string;
  ids: string[];
  buckets: number;
  total: number;
  events: Iterable<DetectionEvent>;
  /**
   * Heap as the engine holding the fleet minus the same process once the engine is dropped, instead of minus the
   * heap before it was built: the scenario's events exist before, and their strings (ropes, built by
   * concatenation) are flattened as the engine reads them, which shrinks them by more than the engine holds.
   */
  heapFromRelease?: boolean;
}

function steadyFeed(n: number, buckets: number, tag: string): Feed {
  const ids = agentIds(n, tag);
  return { label: fmt(n), ids, buckets, total: n * buckets * PER_BUCKET, events: bucketedFleet(ids, (i) => ROLES[i % 3]!, buckets, PER_BUCKET, END) as Iterable<DetectionEvent> };
}

async function measure(feed: Feed, tag: string, sample: number): Promise<Row> {
  const { ids, buckets, total } = feed;
  const n = ids.length;
  const before = await fullGc();
  let engine: Engine | null = createEngine(rules);
  let events = 0;
  const t0 = performance.now();
  for (const d of feed.events) {
    d.verification = 'valid';
    engine.process(d);
    if (++events % 1_000_000 === 0) log(`  ${tag}: ${fmt(events)} / ${fmt(total)} events fed (${fmt(events / ((performance.now() - t0) / 1000))} ev/s)`);
  }
  const feedSeconds = (performance.now() - t0) / 1000;
  const after = await fullGc();
  let heapPerAgent = (after.heap - before.heap) / n;
  let buffersPerAgent = Math.max(0, after.buffers - before.buffers) / n;
  const peersBytes = Buffer.byteLength(JSON.stringify(engine.snapshotPeers()));
  log(`  ${tag}: ${fmt(n)} agents, ${fmt(events)} events in ${feedSeconds.toFixed(1)} s; heap ${fmt((after.heap - before.heap) / 2 ** 20, 1)} MiB = ${fmt(heapPerAgent)} B/agent, typed-array buffers ${fmt(buffersPerAgent)} B/agent`);

  // Redis: a sample of agents (evenly spread), written exactly as the detector writes a batch's state.
  const picked = Math.min(sample, n);
  const stride = n / picked;
  const sampleIds = Array.from({ length: picked }, (_, i) => ids[Math.floor(i * stride)]!);
  const redis = createRedis(config);
  const raw = createRedis(config, { keyPrefix: '' });
  const store = new StateStore(redis, `bench-memory-${tag}`);
  const usedBefore = await usedMemory(raw);
  let storedTotal = 0;
  for (let i = 0; i < sampleIds.length; i += 500) {
    const states = new Map<string, StoredState>();
    for (const a of sampleIds.slice(i, i + 500)) {
      // Exactly what the detector writes: its adapter's export (the binary snapshot), as the store encodes it, with
      // the agent's own covered offset in front (10 bytes).
      const stored = tagState(BigInt(i), encodeStoredState(engine.snapshotAgentBytes(a)!));
      storedTotal += typeof stored === 'string' ? Buffer.byteLength(stored) : stored.byteLength;
      states.set(a, stored);
    }
    // No shared state here: peer profiles are one key per group, not per agent (reported apart).
    await store.commit('bench-memory', 0, String(i), states, TTL_SECONDS, [i === 0 ? -1n : BigInt(i - 500)]); // fenced on the previous write
  }
  const usedAfter = await usedMemory(raw);
  let usage = 0;
  for (let i = 0; i < sampleIds.length; i += 1000) {
    const pipe = raw.pipeline();
    for (const a of sampleIds.slice(i, i + 1000)) pipe.call('MEMORY', 'USAGE', `${prefix}${agentStateKey('bench-memory', 0, a)}`, 'SAMPLES', '0');
    for (const [err, v] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      usage += Number(v);
    }
  }
  const deleted = await deleteKeysWithPrefix(config, prefix);
  log(`  ${tag}: Redis ${fmt(picked)} snapshots: MEMORY USAGE ${fmt(usage / picked)} B/agent, INFO delta ${fmt((usedAfter - usedBefore) / picked)} B/agent; ${deleted} keys deleted`);
  await redis.quit();
  await raw.quit();
  engine = null;
  const released = await fullGc();
  if (feed.heapFromRelease) {
    heapPerAgent = (after.heap - released.heap) / n;
    buffersPerAgent = Math.max(0, after.buffers - released.buffers) / n;
    log(`  ${tag}: measured against the heap once the engine is dropped: ${fmt(heapPerAgent)} B/agent, typed-array buffers ${fmt(buffersPerAgent)} B/agent`);
  }
  return { label: feed.label, agents: n, buckets, events, feedSeconds, heapPerAgent, buffersPerAgent, peersBytes, storedBytes: storedTotal / picked, redisSampled: picked, redisUsage: usage / picked, redisInfoDelta: (usedAfter - usedBefore) / picked };
}

const rows: Row[] = [];
for (const n of SIZES) {
  log(`fleet of ${fmt(n)} agents, ${BUCKETS} buckets x ${PER_BUCKET} events per agent`);
  rows.push(await measure(steadyFeed(n, BUCKETS, `${n}`), `${n}`, SAMPLE));
}
let ref: Row | null = null;
if (REF_AGENTS > 0) {
  log(`reference: ${fmt(REF_AGENTS)} agents, ${REF_BUCKETS} buckets x ${PER_BUCKET} events per agent`);
  ref = await measure(steadyFeed(REF_AGENTS, REF_BUCKETS, `ref${REF_AGENTS}`), `ref${REF_AGENTS}`, REF_AGENTS);
}
let scenario: Row | null = null;
if (o.scenarioSeed >= 0) {
  // Generated before the row's first GC (which collects the generator's other structures), so only the engine's own
  // state is in its heap delta.
  const scenarioEvents = generateScenario({ seed: o.scenarioSeed }).events;
  const ids = [...new Set(scenarioEvents.map((e) => e.agentId))];
  const days = Math.round((scenarioEvents[scenarioEvents.length - 1]!.timestamp - scenarioEvents[0]!.timestamp) / 86_400_000);
  log(`scenario: seed ${o.scenarioSeed}, ${fmt(ids.length)} agents, ${fmt(scenarioEvents.length)} events`);
  scenario = await measure({ label: `${fmt(ids.length)} (scenario, seed ${o.scenarioSeed})`, ids, buckets: Math.round((days * 86_400_000) / BUCKET_MS), total: scenarioEvents.length, events: scenarioEvents, heapFromRelease: true }, 'scenario', ids.length);
}

const hours = (b: number) => `${fmt((b * BUCKET_MS) / 3_600_000, 1)} h`;
const line = (r: Row) =>
  `| ${r.label} | ${r.buckets} (${hours(r.buckets)}) | ${fmt(r.events)} | ${fmt(r.heapPerAgent / 1024, 1)} KiB | ${fmt(r.buffersPerAgent / 1024, 1)} KiB | **${fmt((r.heapPerAgent + r.buffersPerAgent) / 1024, 1)} KiB** | ${fmt(r.storedBytes / 1024, 1)} KiB | ${fmt(r.redisUsage / 1024, 1)} KiB (${fmt(r.redisSampled)} agents) | ${fmt(r.redisInfoDelta / 1024, 1)} KiB | ${fmt((r.agents * (r.heapPerAgent + r.buffersPerAgent)) / 2 ** 20)} MiB / ${fmt((r.agents * r.redisUsage) / 2 ** 20)} MiB |`;
const nodeFlags = process.execArgv.filter((f) => f === '--expose-gc' || f.startsWith('--max-old-space-size')).join(' ');
const cmd = `node ${nodeFlags} --import tsx bench/memory.ts --agents ${SIZES.join(',')} --buckets ${BUCKETS} --per-bucket ${PER_BUCKET} --redis-sample ${SAMPLE} --reference-agents ${REF_AGENTS} --reference-buckets ${REF_BUCKETS} --scenario-seed ${o.scenarioSeed}`;
const table = `## Memory per tracked agent (bench/memory.ts)

\`${cmd}\` — the pure engine (default rules, every detector) fed steady traffic: each agent ${PER_BUCKET} events per five-minute bucket (6 actions, 17 resources in rotation, 3 roles) for ${BUCKETS} buckets, so every rolling window (24 buckets), warm-up (12) and slow-ramp level window (36) is full. Heap: \`heapUsed\` after forced GCs with the engine holding the fleet, minus before, per agent (includes the engine's share of role-level peer state); typed-array buffers: the \`arrayBuffers\` delta (V8 keeps typed arrays' bytes outside the heap; figures before 2026-12-02 left them out); memory = the two together. Redis: the agents' snapshots written with \`StateStore.commit\` as the detector does (the binary snapshot, engine/snapshotBytes.ts, as raw bytes per agent, with the 30-day TTL; before 2026-12-02 it was base64 inside a JSON string) into this run's own key prefix, measured with \`MEMORY USAGE key SAMPLES 0\` and the \`INFO memory\` used_memory delta (the delta also counts anything else writing to the same Redis meanwhile), then deleted.${rows.some((r) => r.redisSampled < r.agents) ? ' Where fewer agents were written than tracked, the Redis figures are per written agent, from an evenly spread sample.' : ''}

| agents | history per agent | events fed | heap per agent | typed-array buffers per agent | memory per agent | snapshot as stored per agent | Redis MEMORY USAGE per agent | Redis INFO delta per agent | whole fleet: memory / Redis |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.map(line).join('\n')}${ref ? `\n${line(ref)}` : ''}${scenario ? `\n${line(scenario)}` : ''}

Role-level peer state (one Redis key per detector group, not per agent): ${rows.map((r) => `${fmt(r.peersBytes / 1024, 1)} KiB at ${fmt(r.agents)} agents`).join(', ')}.${ref ? ` The last row is a smaller fleet with a longer history (${hours(ref.buckets)}, past the one-day learning period), to show how much per-agent state grows beyond ${hours(BUCKETS)}.` : ''}${scenario ? ` The scenario row is the labelled scenario's agents (cli/simulate, seed ${o.scenarioSeed}: 9 roles, ${hours(scenario.buckets)} of chained tasks, incidents and benign changes), whose variety (customers mailed, hosts browsed, resources) the steady fleet lacks; its heap per agent includes the role-level (peer) state, which few agents share here, and is the heap with the engine minus the heap once the engine is dropped (the scenario's events exist before the engine does, and their strings shrink when the engine first reads them).` : ''} Feeding rate: ${rows.map((r) => `${fmt(r.events / r.feedSeconds)} events/s at ${fmt(r.agents)} agents`).join(', ')}.`;
writeSection('memory', table);
console.log(table);
process.exit(0);
