/**
 * Where bench/memory.ts's bytes per agent go: the same steady fleet (default rules, 48 buckets x 3 events),
 * measured two ways.
 *  1. Per detector, measured: an engine with only that detector (`detectors: [name]`), heap + typed-array
 *     buffers after forced GCs, minus before, per agent. "(none)" is an engine whose one detector keeps no
 *     state (injection): the agent slot itself (ids, duplicate window, clock).
 *  2. Per structure, counted: each detector's state of one agent, restored from its snapshot (the contract
 *     suite holds restore == live), walked: typed arrays (count, bytes), plain arrays (count, entries), Maps
 *     and Sets (count, entries), objects (count, fields), by path (Map keys and array indices folded; a typed
 *     array shared by two paths counted once, at the first).
 *  3. Snapshot bytes per detector (each detector's state encoded alone) and per agent.
 *
 *   node --expose-gc --import tsx bench/memory-breakdown.ts [--agents 2000]
 */
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { wholeNumber } from './lib/options.js';
import { createDetectors, createEngine, loadRules, type DetectionEvent, type Json } from '../shared/detection/index.js';
import { encodeSnapshot } from '../shared/detection/engine/snapshotBytes.js';
import { BUCKET_MS, bucketedFleet } from './lib/fleet.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const o = new Command()
  .name('bench/memory-breakdown.ts')
  .description('Memory and snapshot bytes per agent, detector by detector, and the state structure behind them (run node with --expose-gc)')
  .option('--agents <n>', 'agents in the fleet', wholeNumber(), 2_000)
  .option('--buckets <n>', 'five-minute buckets of history fed per agent', wholeNumber(), 48)
  .option('--per-bucket <n>', 'events per agent per bucket', wholeNumber(), 3)
  .parse()
  .opts<{ agents: number; buckets: number; perBucket: number }>();
const N = o.agents;
const BUCKETS = o.buckets;
const PER_BUCKET = o.perBucket;
const END = Math.floor(Date.UTC(2026, 10, 18, 12) / BUCKET_MS) * BUCKET_MS;
const ROLES = ['support', 'finance', 'research'];
const rules = loadRules();
const ids = Array.from({ length: N }, (_, i) => `mem-${String(i).padStart(6, '0')}`);

async function fullGc(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function feed(detectors?: string[]) {
  const engine = createEngine(rules, detectors ? { detectors } : {});
  for (const e of bucketedFleet(ids, (i) => ROLES[i % 3]!, BUCKETS, PER_BUCKET, END)) {
    (e as DetectionEvent).verification = 'valid';
    engine.process(e as DetectionEvent);
  }
  return engine;
}

const names = createDetectors(rules).map((d) => d.name);
console.log(`# measured per agent (${N} agents, ${BUCKETS} buckets x ${PER_BUCKET} events), heap + buffers`);
const measured: [string, number][] = [];
for (const only of [undefined, ['injection'], ...names.filter((n) => n !== 'injection').map((n) => [n])]) {
  const before = await fullGc();
  let engine: ReturnType<typeof feed> | null = feed(only);
  const after = await fullGc();
  measured.push([only ? (only[0] === 'injection' ? '(none: agent slot)' : only[0]!) : 'ALL', (after - before) / N]);
  engine = null;
  void engine;
}
const slot = measured.find(([n]) => n.startsWith('(none'))![1];
for (const [n, b] of measured) console.log(`${n.padEnd(22)} ${b.toFixed(0).padStart(7)} B${n === 'ALL' || n.startsWith('(none') ? '' : `   (minus slot: ${(b - slot).toFixed(0)} B)`}`);

// Structure of one agent's state.
interface Tally {
  objects: number;
  fields: number;
  arrays: number;
  arrayEntries: number;
  maps: number;
  mapEntries: number;
  typed: number;
  typedBytes: number;
}
const tally = new Map<string, Tally>();
const at = (path: string): Tally => {
  let t = tally.get(path);
  if (!t) tally.set(path, (t = { objects: 0, fields: 0, arrays: 0, arrayEntries: 0, maps: 0, mapEntries: 0, typed: 0, typedBytes: 0 }));
  return t;
};
/** Typed arrays already counted: a spike series' window and seasonal profile share one. */
const counted = new WeakSet<object>();
function walk(v: unknown, path: string): void {
  if (v === null || typeof v !== 'object') return;
  if (ArrayBuffer.isView(v)) {
    if (counted.has(v)) return;
    counted.add(v);
    const t = at(path);
    t.typed++;
    t.typedBytes += v.byteLength;
    return;
  }
  if (Array.isArray(v)) {
    const t = at(path);
    t.arrays++;
    t.arrayEntries += v.length;
    v.forEach((x) => walk(x, `${path}[]`));
    return;
  }
  if (v instanceof Map || v instanceof Set) {
    const t = at(path);
    t.maps++;
    t.mapEntries += v.size;
    for (const x of v.values()) walk(x, `${path}{}`);
    return;
  }
  const t = at(path);
  t.objects++;
  t.fields += Object.keys(v).length;
  for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
}
const engine = feed();
const detectors = createDetectors(rules);
const sampleAgents = ids.slice(0, 30);
for (const a of sampleAgents) {
  const snap = engine.snapshotAgent(a)!;
  detectors.forEach((d) => {
    const s = snap.detectors[d.name];
    if (s !== undefined) walk(d.restore(s as Json), d.name);
  });
  walk({ incidents: snap.incidents, ids: snap.ids, recent: snap.recent }, 'slot');
}
console.log(`\n# structure per agent (mean of ${sampleAgents.length} agents' restored states)`);
console.log('path'.padEnd(64), 'objects fields  arrays entries  maps entries  typed  typedBytes');
const per = (x: number) => (x / sampleAgents.length).toFixed(1).padStart(7);
for (const [path, t] of [...tally].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(path.padEnd(64), per(t.objects), per(t.fields), per(t.arrays), per(t.arrayEntries), per(t.maps), per(t.mapEntries), per(t.typed), per(t.typedBytes));
}
// 3. Snapshot bytes (what Redis holds) per detector: each detector's state encoded alone (engine/snapshotBytes.ts,
// deflated with its dictionary), and the whole agent; parts deflate worse alone, so they add up to more than the whole.
const snapBytes = new Map<string, number>();
for (const a of sampleAgents) {
  const snap = engine.snapshotAgent(a)!;
  const add = (k: string, n: number) => snapBytes.set(k, (snapBytes.get(k) ?? 0) + n);
  add('(whole agent)', engine.snapshotAgentBytes(a)!.length);
  for (const [name, st] of Object.entries(snap.detectors)) add(name, encodeSnapshot({ [name]: st } as Json).length);
  add('(slot: ids, incidents, recent)', encodeSnapshot({ ids: snap.ids, incidents: snap.incidents as unknown as Json, recent: snap.recent as unknown as Json }).length);
}
console.log(`\n# snapshot bytes per agent (mean of ${sampleAgents.length} agents)`);
for (const [k, n] of snapBytes) console.log(`${k.padEnd(34)} ${(n / sampleAgents.length).toFixed(0).padStart(6)} B`);
let typedBytes = 0;
let typedCount = 0;
for (const t of tally.values()) {
  typedBytes += t.typedBytes;
  typedCount += t.typed;
}
console.log(`typed arrays per agent: ${(typedCount / sampleAgents.length).toFixed(1)}, ${(typedBytes / sampleAgents.length).toFixed(0)} B of values`);
process.exit(0);
