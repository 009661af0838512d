/**
 * A smaller run of the labelled evaluation (npm run eval runs the full one):
 * 30 agents in 4 roles, 7 days, 20 incidents of each kind, fixed seed.
 * Targets: recall >= 0.95 and detection within target for every incident
 * type (2 buckets; slow ramps: before the ramp doubles the rolling baseline,
 * see shared/detection/README.md), precision well above chance, <= 1 false
 * alert per agent-week.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../shared/detection/index.js';
import { INCIDENT_TYPES, generateScenario } from '../../../cli/simulate/scenario/generator.js';
import { evaluate, formatReport } from '../../scenarios/evaluate.js';

describe('labelled scenario evaluation (small)', () => {
  it('meets the targets', { timeout: 180_000 }, () => {
    const scenario = generateScenario({ seed: 5, agents: 30, days: 7, incidentsPerType: 20 });
    expect(new Set(scenario.agents.map((a) => a.role)).size).toBeGreaterThanOrEqual(3);
    const report = evaluate(scenario, DEFAULT_RULES);
    const table = formatReport(report);
    expect(report.rows.length).toBe(INCIDENT_TYPES.length);
    for (const row of report.rows) {
      expect(row.recall, `${row.type}\n${table}`).toBeGreaterThanOrEqual(0.95);
      expect(row.withinTarget, `${row.type}\n${table}`).toBeGreaterThanOrEqual(0.95);
      // Better than chance, by far.
      expect(row.precision, `${row.type}\n${table}`).toBeGreaterThan(0.5);
    }
    expect(report.falseAlertsPerAgentWeek, table).toBeLessThanOrEqual(1);
  });
});
