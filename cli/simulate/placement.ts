/**
 * Which requested incidents the generator could not place, and why, so
 * `warden simulate` and the demo never leave a type out silently. The
 * generator gives up on an incident after a few thousand random tries when no
 * agent and start time meet the type's constraints; the reasons below are
 * those constraints, read from cli/simulate/scenario/generator.ts.
 */
import type { IncidentType, Scenario } from './scenario/generator.js';

const DAY_MS = 86_400_000;

export interface Unplaced { type: IncidentType; placed: number; requested: number; why: string }

export function unplacedIncidents(scenario: Scenario): Unplaced[] {
  const { types, incidentsPerType, learningPeriodMs } = scenario.options;
  // The fleet's own late joiners: agents the incidents add (cold start) come after them and do not count.
  const lateJoiners = scenario.agents.slice(0, scenario.options.agents).filter((a) => a.joinTs > scenario.startTs + DAY_MS).length;
  const out: Unplaced[] = [];
  for (const type of types) {
    const placed = scenario.incidents.filter((i) => i.type === type).length;
    if (placed >= incidentsPerType) continue;
    out.push({ type, placed, requested: incidentsPerType, why: reason(type, lateJoiners, scenario, learningPeriodMs) });
  }
  return out;
}

function reason(type: IncidentType, lateJoiners: number, s: Scenario, learningPeriodMs: number): string {
  // Every fifth rate spike (the first one included) hits an agent while it still learns, which needs a late joiner.
  if (type === 'rate-spike' && lateJoiners === 0) {
    return `every fifth rate spike, the first included, hits a late-joining agent during its warm-up, and this fleet of ${s.agents.length} has no late-joining agent (about 1 in 10 joins late): use more --agents (e.g. 40) or another --seed`;
  }
  const days = Math.round((s.endTs - s.startTs) / DAY_MS);
  return `no agent and start time met its constraints (a suitable role, after the ${Math.round(learningPeriodMs / 3_600_000)} h learning period, 5 h from the agent's other incidents) in ${s.agents.length} agents over ${days} days: use more --agents or --days`;
}
