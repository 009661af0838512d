import { createHash } from 'node:crypto';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { alertIdFor, createEngine, DEFAULT_RULES, severityFor } from '../../../shared/detection/index.js';
import { avroSchemas, type Alert } from '../../../shared/schemas/generated.js';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, event, merge, renumber, rulesWith, run, stream, ungroupedEngine } from './helpers.js';

const alertType = avro.Type.forSchema(avroSchemas.Alert as unknown as avro.Schema);

function spikeEvery(from: number, buckets: number, n: number) {
  const out = [];
  for (let b = 0; b < buckets; b++) for (let i = 0; i < n; i++) out.push(event({ timestamp: from + b * BUCKET_MS + Math.floor((i * BUCKET_MS) / (n + 1)), action: 'tool.call' }));
  return out;
}

describe('engine', () => {
  const base = stream({ to: T0 + 2 * DAY_MS + 6 * HOUR_MS, perBucket: 10 });
  const spikeAt = T0 + 2 * DAY_MS + 2 * HOUR_MS;
  const events = renumber(merge(base, spikeEvery(spikeAt, 1, 120)));

  it('emits alerts that are valid Avro Alert records, with deterministic ids', () => {
    const { alerts } = run(events, ungroupedEngine());
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      expect(alertType.isValid(a, { errorHook: (path) => expect.fail(`invalid alert field ${path.join('.')}`) })).toBe(true);
      expect(a.alertId).toMatch(/^[0-9a-f]{32}$/);
      expect(a.score).toBeGreaterThanOrEqual(0);
      expect(a.score).toBeLessThanOrEqual(100);
      expect(a.evidence.relatedEventIds.length).toBeLessThanOrEqual(10);
      expect(a.tags.length).toBeGreaterThan(0);
    }
    const rate = alerts.find((a) => a.ruleId === 'rate-spike.agent')!;
    const bucketStart = Math.floor(rate.firstSeen / BUCKET_MS) * BUCKET_MS;
    const expected = createHash('sha256').update(`rate-spike.agent|agent-1|${bucketStart}`).digest('hex').slice(0, 32);
    expect(rate.alertId).toBe(expected);
    expect(alertIdFor('rate-spike.agent', 'agent-1', bucketStart)).toBe(expected);
    // Same input, same output.
    expect(run(events, ungroupedEngine()).alerts).toEqual(alerts);
  });

  it('one incident = one alert id: repeats within the cooldown count, re-emit once per cooldown, and a final update on close', () => {
    // Accumulation off: once the baseline has learned the first spikes, the 2.5 h total alerts on its own (a second
    // incident, accumulation.test.ts); this test is about one rule's incident.
    const rules = rulesWith({ engine: { cooldownMs: HOUR_MS }, incidentGroups: [], baseline: { accumulation: { horizonsHours: [] } } });
    const long = renumber(merge(stream({ to: T0 + 2 * DAY_MS + 8 * HOUR_MS, perBucket: 10 }), spikeEvery(spikeAt, 30, 150)));
    const engine = createEngine(rules);
    const { alerts } = run(long, engine);
    const agentRate = alerts.filter((a) => a.ruleId === 'rate-spike.agent');
    const ids = new Set(agentRate.map((a) => a.alertId));
    expect(ids.size).toBe(1);
    expect(agentRate[0]!.count).toBe(1);
    // 30 spiking buckets over 2.5 h: raised once, then updated (same id, higher count) at most once per cooldown.
    expect(agentRate.length).toBeGreaterThanOrEqual(2);
    expect(agentRate.length).toBeLessThanOrEqual(4);
    const counts = agentRate.map((a) => a.count);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    for (const a of engine.flush(T0 + 3 * DAY_MS)) if (a.ruleId === 'rate-spike.agent') counts.push(a.count);
    expect(Math.max(...counts)).toBeGreaterThan(5);
  });

  it('severity steps down from the rule\'s for weaker scores', () => {
    expect(severityFor('CRITICAL', 95)).toBe('CRITICAL');
    expect(severityFor('CRITICAL', 70)).toBe('HIGH');
    expect(severityFor('HIGH', 50)).toBe('LOW');
    expect(severityFor('LOW', 10)).toBe('LOW');
    expect(severityFor('INFO', 10)).toBe('INFO');
  });

  it('flush closes idle buckets (slow ramps are judged at bucket close) and late events land in the open bucket', () => {
    const engine = createEngine(DEFAULT_RULES);
    run(base, engine);
    engine.flush(T0 + 3 * DAY_MS);
    const snap = engine.snapshotAgent('agent-1')!;
    expect(snap.bucket).toBe(Math.floor((T0 + 3 * DAY_MS) / BUCKET_MS));
    expect(() => engine.process(event({ timestamp: T0, seq: 1e9 }))).not.toThrow();
    expect(engine.stats().lateEvents).toBe(1);
    expect(engine.agentIds()).toEqual(['agent-1']);
    expect(engine.dropAgent('agent-1')).toBe(true);
    expect(engine.snapshotAgent('agent-1')).toBeNull();
  });

  it('rule exceptions and disabled rules silence findings', () => {
    const quiet = rulesWith({ rules: [{ id: 'rate-spike.agent', exceptAgents: ['agent-.*'] }, { id: 'rate-spike.action', enabled: false }] });
    const { alerts } = run(events, createEngine(quiet));
    expect(alerts.filter((a: Alert) => a.detector === 'rate-spike')).toEqual([]);
  });
});
