/**
 * `npm run bench`: every benchmark in turn, against the local stack (started
 * if needed), each writing its section of bench/RESULTS.md. Never part of
 * `npm test`. Pass names to run a subset: `npm run bench -- sdk engine`
 * (known: engine, logging, sdk, detector-throughput, latency, memory, scale-out, otel-ingest, mcp-latency).
 */
import { spawnSync } from 'node:child_process';
import { stackUp } from '../cli/stack/index.js';
import { loadConfig } from '../shared/config/index.js';

/** `node` flags, when a benchmark needs them: it then runs as `node <flags> --import tsx <file>`. */
const ALL: Record<string, { file: string; args: string[]; needsStack: boolean; node?: string[] }> = {
  engine: { file: 'bench/engine.ts', args: [], needsStack: false },
  logging: { file: 'bench/logging.ts', args: ['--lines', '200000', '--rounds', '5'], needsStack: false },
  sdk: { file: 'bench/sdk-emit.ts', args: ['--events', '100000', '--rounds', '3'], needsStack: true },
  'detector-throughput': { file: 'bench/detector-throughput.ts', args: ['--events', '1000000', '--agents', '2000', '--partitions', '12', '--rounds', '1'], needsStack: true },
  latency: { file: 'bench/latency.ts', args: ['--rate', '5000', '--duration', '60', '--steps', '10000,20000', '--step-duration', '30'], needsStack: true },
  // Redis only; 100,000 warm agents need about 4 GiB of heap.
  memory: { file: 'bench/memory.ts', args: ['--agents', '10000,100000'], needsStack: true, node: ['--expose-gc', '--max-old-space-size=12288'] },
  'scale-out': { file: 'bench/scale-out.ts', args: ['--agents', '60', '--partitions', '12'], needsStack: true },
  'otel-ingest': { file: 'bench/otel-ingest.ts', args: ['--spans', '100000', '--rounds', '3'], needsStack: true },
  'mcp-latency': { file: 'bench/mcp-latency.ts', args: ['--calls', '500', '--rounds', '5', '--warmup', '100'], needsStack: true },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(ALL);
for (const n of names) if (!ALL[n]) throw new Error(`unknown benchmark ${n}; known: ${Object.keys(ALL).join(', ')}`);
if (names.some((n) => ALL[n]!.needsStack)) await stackUp(loadConfig(), (l) => process.stderr.write(`[stack] ${l}\n`));
let failed = 0;
for (const n of names) {
  const b = ALL[n]!;
  const [cmd, argv] = b.node ? [process.execPath, [...b.node, '--import', 'tsx', b.file, ...b.args]] : ['npx', ['tsx', b.file, ...b.args]];
  process.stderr.write(`\n== bench ${n}: ${b.node ? 'node' : cmd} ${argv.join(' ')}\n`);
  const r = spawnSync(cmd, argv, { stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
