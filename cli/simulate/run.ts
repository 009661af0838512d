/**
 * `warden simulate`: a seeded fleet's traffic with scripted incidents, played
 * in compressed time against any cluster (the configured one), or written to a
 * JSONL file for `warden replay`. Event time ends now by default, so a live
 * detector accepts every event (it refuses timestamps far from its clock).
 */
import { writeFileSync } from 'node:fs';
import { generateScenario, toJsonl, type BenignKind, type IncidentType, type LabelledIncident, type Scenario } from './scenario/generator.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, provisionTopics } from '../../shared/kafka/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { keyringFor } from './keys.js';
import { unplacedIncidents } from './placement.js';
import { pace, type PaceProgress } from './pace.js';
import { FleetPublisher } from './publisher.js';

export interface SimulateOptions {
  agents: number;
  days: number;
  seed: number;
  incidentsPerType: number;
  types?: IncidentType[];
  /** Labelled benign cases of each kind (default 0). */
  benignPerKind?: number;
  benignKinds?: BenignKind[];
  /** Event time of the scenario's end (default: now). */
  endTs?: number;
  durationMs: number;
  keyringFile: string;
  /** Write JSONL here instead of publishing. */
  outFile?: string;
  labelsFile?: string;
}

export interface SimulateResult { events: number; agents: number; incidents: LabelledIncident[]; published: number; target: string }

const DAY_MS = 86_400_000;

export function buildScenario(o: Pick<SimulateOptions, 'agents' | 'days' | 'seed' | 'incidentsPerType' | 'types' | 'benignPerKind' | 'benignKinds' | 'endTs'>): Scenario {
  const end = o.endTs ?? Date.now();
  // Whole minutes, so the same seed and the same end minute give byte-identical events.
  const startTs = Math.floor((end - o.days * DAY_MS) / 60_000) * 60_000;
  return generateScenario({ seed: o.seed, agents: o.agents, days: o.days, startTs, incidentsPerType: o.incidentsPerType, types: o.types, benignPerKind: o.benignPerKind, benignKinds: o.benignKinds });
}

export async function simulate(config: WardenConfig, o: SimulateOptions, progress: (line: string) => void): Promise<SimulateResult> {
  const scenario = buildScenario(o);
  const summary = `${scenario.agents.length} agents in ${new Set(scenario.agents.map((a) => a.role)).size} roles, ${scenario.events.length.toLocaleString('en-US')} events over ${o.days} simulated days, ${scenario.incidents.length} incidents (seed ${o.seed})`;
  // Benign cases only when asked for, so a labels file of incidents keeps its shape (an array).
  if (o.labelsFile) writeFileSync(o.labelsFile, `${JSON.stringify(scenario.benign.length > 0 ? { incidents: scenario.incidents, benign: scenario.benign } : scenario.incidents, null, 2)}\n`);
  for (const u of unplacedIncidents(scenario)) progress(`not placed: ${u.type}: ${u.placed} of ${u.requested} placed; ${u.why}`);

  // Also with --out: a detector started for this fleet (warden run detector) loads these keys.
  const { keyring, added, created } = keyringFor(o.keyringFile, scenario.agents.map((a) => a.agentId));
  progress(`keys: ${created ? 'created' : 'using'} ${o.keyringFile}${added ? ` (${added} agents added)` : ''}; the detector must load the same file (WARDEN_KEYRING_FILE=${o.keyringFile})`);

  if (o.outFile) {
    writeFileSync(o.outFile, toJsonl(scenario.events));
    progress(`wrote ${summary} to ${o.outFile}${o.labelsFile ? `; labels in ${o.labelsFile}` : ''}`);
    return { events: scenario.events.length, agents: scenario.agents.length, incidents: scenario.incidents, published: 0, target: o.outFile };
  }

  const logger = createLogger('simulate', { level: 'error' });
  const kafka = createKafka(config, logger);
  await provisionTopics(kafka, config);
  const publisher = new FleetPublisher(kafka, config, keyring);
  await publisher.connect();
  progress(`publishing ${summary} to ${config.topics.events.name} on ${config.kafka.brokers.join(',')} in ${Math.round(o.durationMs / 1000)} s`);
  try {
    const { published } = await pace(scenario, {
      durationMs: o.durationMs,
      send: (batch) => publisher.publish(batch),
      tickMs: 1000,
      onTick: (p: PaceProgress) => progress(progressLine(p, scenario.events.length)),
    });
    return { events: scenario.events.length, agents: scenario.agents.length, incidents: scenario.incidents, published, target: config.topics.events.name };
  } finally {
    await publisher.disconnect();
  }
}

function progressLine(p: PaceProgress, total: number): string {
  const pct = Math.round(p.fraction * 100);
  const sim = new Date(p.simulatedTimeMs).toISOString().slice(0, 16).replace('T', ' ');
  return `  ${String(pct).padStart(3)}%  simulated ${sim} UTC  ${p.published.toLocaleString('en-US')}/${total.toLocaleString('en-US')} events  ${Math.round(p.eventsPerSecond).toLocaleString('en-US')} ev/s`;
}
