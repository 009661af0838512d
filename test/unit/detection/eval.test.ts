/**
 * A smaller run of the labelled evaluation (npm run eval runs the full one):
 * 30 agents in 4 roles, 7 days, 20 incidents of each kind, fixed seed.
 * Targets: recall >= 0.95 and detection within 2 buckets for every incident
 * type, <= 1 false alert per agent-week. Slow ramps are held to a lower bar
 * (see shared/detection/README.md: detection before the ramp doubles the
 * rolling baseline, not yet for 95% of them).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../shared/detection/index.js';
import { generateScenario } from '../../scenarios/generator.js';
import { evaluate, formatReport } from '../../scenarios/evaluate.js';

describe('labelled scenario evaluation (small)', () => {
  it('meets the targets', { timeout: 180_000 }, () => {
    const scenario = generateScenario({ seed: 5, agents: 30, days: 7, incidentsPerType: 20 });
    expect(new Set(scenario.agents.map((a) => a.role)).size).toBeGreaterThanOrEqual(3);
    const report = evaluate(scenario, DEFAULT_RULES);
    const table = formatReport(report);
    expect(report.rows.length).toBe(10);
    for (const row of report.rows) {
      if (row.type === 'slow-ramp') {
        expect(row.recall, table).toBeGreaterThanOrEqual(0.5);
        expect(row.withinTarget, table).toBeGreaterThanOrEqual(0.5);
      } else {
        expect(row.recall, `${row.type}\n${table}`).toBeGreaterThanOrEqual(0.95);
        expect(row.withinTarget, `${row.type}\n${table}`).toBeGreaterThanOrEqual(0.95);
        // Better than chance, by far.
        expect(row.precision, `${row.type}\n${table}`).toBeGreaterThan(0.5);
      }
    }
    expect(report.falseAlertsPerAgentWeek, table).toBeLessThanOrEqual(1);
  });
});
