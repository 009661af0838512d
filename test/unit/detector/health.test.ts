/** The pure self-monitoring decision (services/detector/health.ts): thresholds, one alert per kind per repeat interval, quiet when healthy. */
import { describe, expect, it } from 'vitest';
import { HEALTH_RULES, HealthMonitor, type HealthSample, type PartitionSample } from '../../../services/detector/health.js';

const thresholds = { maxLagRecords: 100, maxDlqPerMinute: 60, maxCheckpointAgeMs: 10_000, stalledAfterMs: 20_000, repeatAfterMs: 60_000 };
const source = { groupId: 'g', instance: 'detector-abc', topic: 'agent.events' };
const healthy: PartitionSample = { partition: 0, lagRecords: 0, msSinceProgress: 100, checkpointAgeMs: 1000 };
const sample = (atMs: number, partitions: PartitionSample[], dlqRecords = 0): HealthSample => ({ atMs, windowMs: 10_000, dlqRecords, partitions });

describe('HealthMonitor', () => {
  it('is quiet when every measure is within its limit', () => {
    const m = new HealthMonitor(thresholds, source);
    expect(m.evaluate(sample(0, [healthy, { ...healthy, partition: 1, lagRecords: 100, msSinceProgress: 20_000 }], 10))).toEqual([]);
  });

  it.each([
    ['lag', { lagRecords: 101 }, 0, HEALTH_RULES.lag],
    ['DLQ rate', {}, 11, HEALTH_RULES.dlqRate], // 11 in 10 s = 66 a minute
    ['checkpoint age', { checkpointAgeMs: 10_001 }, 0, HEALTH_RULES.checkpointAge],
    ['stalled', { lagRecords: 1, msSinceProgress: 20_001 }, 0, HEALTH_RULES.stalled],
  ] as const)('%s over its limit raises %s, on the fleet key, with the limit in its evidence', (_name, over, dlq, rule) => {
    const m = new HealthMonitor(thresholds, source);
    const alerts = m.evaluate(sample(1000, [{ ...healthy, ...over }], dlq));
    expect(alerts.map((a) => a.ruleId)).toEqual([rule]);
    expect(alerts[0]!.agentId).toBe('*');
    expect(alerts[0]!.evidence.details.limit).toBeDefined();
  });

  it('fires each kind at most once per repeat interval while it holds, then again', () => {
    const m = new HealthMonitor(thresholds, source);
    const lagging = [{ ...healthy, lagRecords: 500 }];
    const first = m.evaluate(sample(0, lagging));
    expect(first).toHaveLength(1);
    for (let t = 10_000; t < 60_000; t += 10_000) expect(m.evaluate(sample(t, lagging))).toEqual([]);
    const again = m.evaluate(sample(60_000, lagging));
    expect(again).toHaveLength(1);
    expect(again[0]!.alertId).not.toBe(first[0]!.alertId);
    // Another kind is not held back by the first one's interval.
    expect(m.evaluate(sample(61_000, lagging, 100)).map((a) => a.ruleId)).toEqual([HEALTH_RULES.dlqRate]);
  });

  it('lists the worst partitions first', () => {
    const m = new HealthMonitor(thresholds, source);
    const [a] = m.evaluate(sample(0, [{ ...healthy, partition: 3, lagRecords: 200 }, { ...healthy, partition: 7, lagRecords: 5000 }]));
    expect(a!.evidence.details.partitions).toBe('7,3');
    expect(a!.evidence.observed).toBe(5000);
    expect(a!.severity).toBe('HIGH'); // more than 10x the limit
  });
});
