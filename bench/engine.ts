/**
 * The pure engine alone (no Kafka, no Redis): events/s on one core over an
 * in-memory array, every detector on. Side by side with the ceiling of a loop
 * that only reads each event's fields (what any consumer pays), in one run.
 *
 *   npx tsx bench/engine.ts [--events 1000000] [--agents 1000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { createEngine, loadRules } from '../shared/detection/index.js';
import type { DetectionEvent } from '../shared/detection/index.js';
import { steadyFleet } from './lib/fleet.js';
import { fmt, median, writeSection } from './lib/results.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, agents: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } } });
const N = Number(values.events);
const AGENTS = Number(values.agents);
const ROUNDS = Number(values.rounds);

const events: DetectionEvent[] = [];
for (const o of steadyFleet(AGENTS, N, Date.UTC(2026, 10, 20))) events.push({ ...o.event, verification: 'valid' });
const rules = loadRules();

function ceiling(): number {
  let acc = 0;
  const t0 = performance.now();
  for (const e of events) acc += e.bytesOut + e.records + e.action.length + e.timestamp;
  const s = (performance.now() - t0) / 1000;
  if (acc === 42) console.log('');
  return N / s;
}

function engineRun(): { rate: number; alerts: number } {
  const engine = createEngine(rules);
  let alerts = 0;
  const t0 = performance.now();
  for (const e of events) alerts += engine.process(e).length;
  const s = (performance.now() - t0) / 1000;
  return { rate: N / s, alerts };
}

const ceilings: number[] = [];
const rates: number[] = [];
let alerts = 0;
engineRun(); // warm the JIT
for (let r = 0; r < ROUNDS; r++) {
  ceilings.push(ceiling());
  const run = engineRun();
  rates.push(run.rate);
  alerts = run.alerts;
  process.stderr.write(`round ${r + 1}/${ROUNDS}: engine ${fmt(run.rate)} ev/s\n`);
}
const rate = median(rates);
const table = `## Pure engine (bench/engine.ts)

\`npx tsx bench/engine.ts --events ${N} --agents ${AGENTS} --rounds ${ROUNDS}\` — ${fmt(N)} in-memory events from ${fmt(AGENTS)} agents (steady fleet, 6 actions, 17 resources), default rules with every detector; one core; median of ${ROUNDS} rounds after a warm-up round.

| loop | events/s |
| --- | ---: |
| ceiling: read each event's fields only | ${fmt(median(ceilings))} |
| \`engine.process(event)\` | ${fmt(rate)} |

Target ≥ 500,000 events/s: ${rate >= 500_000 ? 'met' : '**missed**'}. ${alerts} alerts on this steady traffic.`;
writeSection('engine', table);
console.log(table);
