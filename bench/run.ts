/**
 * `npm run bench`: every benchmark in turn, against the local stack (started
 * if needed), each writing its section of bench/RESULTS.md. Never part of
 * `npm test`. Pass names to run a subset: `npm run bench -- sdk engine`.
 */
import { spawnSync } from 'node:child_process';
import { stackUp } from '../cli/stack/index.js';
import { loadConfig } from '../shared/config/index.js';

const ALL: Record<string, { file: string; args: string[]; needsStack: boolean }> = {
  engine: { file: 'bench/engine.ts', args: [], needsStack: false },
  sdk: { file: 'bench/sdk-emit.ts', args: ['--events', '100000', '--rounds', '3'], needsStack: true },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(ALL);
for (const n of names) if (!ALL[n]) throw new Error(`unknown benchmark ${n}; known: ${Object.keys(ALL).join(', ')}`);
if (names.some((n) => ALL[n]!.needsStack)) await stackUp(loadConfig(), (l) => process.stderr.write(`[stack] ${l}\n`));
let failed = 0;
for (const n of names) {
  const b = ALL[n]!;
  process.stderr.write(`\n== bench ${n}: npx tsx ${b.file} ${b.args.join(' ')}\n`);
  const r = spawnSync('npx', ['tsx', b.file, ...b.args], { stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
