/**
 * The benign table's background column: what a benign case would draw at the scenario's ordinary false-alert
 * rate, so that a wide case's count can be read against it (test/scenarios/evaluate.ts `benignRows`).
 */
import { describe, expect, it } from 'vitest';
import type { LabelledBenign } from '../../../cli/simulate/scenario/generator.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { GRACE_MS, benignRows, type RaisedAlert } from '../../scenarios/evaluate.js';

const HOUR = 3_600_000;
const raised = (agentId: string, raisedAt: number, incident = false): RaisedAlert => ({ alert: { agentId } as Alert, raisedAt, incident: incident ? ({} as RaisedAlert['incident']) : null });

describe('benign cases against the background rate', () => {
  it('charges a case with its own alerts and expects the rate outside every case over its agent-hours', () => {
    // Ten agents for 100 h = 1,000 agent-hours. One case: 4 agents (and a group series, not an agent) for 10 h minus the grace.
    const spanMs = 10 * HOUR - GRACE_MS;
    const holiday: LabelledBenign = { id: 'b1', kind: 'holiday', variant: 'test', agentId: 'tenant-1', agentIds: ['a1', 'a2', 'a3', 'a4', 'group:tenant:tenant-1'], start: 50 * HOUR, end: 50 * HOUR + spanMs, budget: 1 };
    const alerts = [
      raised('a1', 51 * HOUR), // charged to the case
      raised('a2', 52 * HOUR), // charged to the case
      raised('a1', 52 * HOUR, true), // an incident's: neither the case's nor the background's
      ...Array.from({ length: 24 }, (_, i) => raised(`a${5 + (i % 6)}`, i * HOUR)), // 24 ordinary ones outside the case
    ];
    const { benignRows: rows, overBudget } = benignRows([holiday], alerts, 1_000 * HOUR);
    // Background: 24 alerts over the 960 agent-hours outside the case; the case spans 4 agents x 10 h.
    const expected = (24 / 960) * 40;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.alerts).toBe(2);
    expect(rows[0]!.backgroundAlerts).toBeCloseTo(expected, 9);
    expect(overBudget.map((o) => [o.item.id, o.alerts.length, o.backgroundAlerts])).toEqual([['b1', 2, expect.closeTo(expected, 9)]]);
  });
});
