import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, T0, event, merge, only, renumber, resumeWithState, rulesWith, run, stream } from './helpers.js';
import { readFileSync } from 'node:fs';
import { createEngine, DEFAULT_RULES, SnapshotVersionError, type DetectionEvent, type Json } from '../../../shared/detection/index.js';
import { nightsCut, nightsStream } from './offHoursStream.js';

const officeHours = (ts: number) => {
  const h = (ts % DAY_MS) / HOUR_MS;
  return h >= 9 && h < 17 ? 10 : 0.02;
};

describe('off-hours', () => {
  it('activity at 03:00 for an office-hours agent alerts after learning, not during it', () => {
    const base = stream({ to: T0 + 3 * DAY_MS, perBucket: officeHours });
    const night = (day: number, hour: number) => Array.from({ length: 15 }, (_, i) => event({ timestamp: T0 + day * DAY_MS + hour * HOUR_MS + i * 30_000 }));
    const { alerts } = run(renumber(merge(base, night(0, 1), night(2, 3))));
    const off = only(alerts, 'off-hours');
    // One incident: raised once, then a final update with its count when it closes.
    expect(new Set(off.map((a) => a.alertId)).size).toBe(1);
    expect(off.at(-1)!.count).toBeGreaterThanOrEqual(off[0]!.count);
    expect(off[0]!.firstSeen).toBeGreaterThanOrEqual(T0 + 2 * DAY_MS + 3 * HOUR_MS);
    expect(off[0]!.evidence.details.localTime).toBe('Wed 03:00');
  });

  it('ordinary office hours raise nothing', () => {
    const { alerts } = run(renumber(stream({ to: T0 + 4 * DAY_MS, perBucket: officeHours })));
    expect(only(alerts, 'off-hours')).toEqual([]);
  });
});

describe('off-hours judges tasks, not chained events', () => {
  // An agent whose every task chains 4 actions 1-3 s apart (plan, read, call, answer), in office hours.
  const task = (start: number, actions: number, id: string) =>
    Array.from({ length: actions }, (_, i) => event({ timestamp: start + i * 2_000 + (i % 2) * 1_000, sessionId: id }));
  const chainedOffice = () => {
    const out = [];
    for (let day = 0; day < 4; day++) {
      for (let b = 0; b < 288; b++) {
        const start = T0 + day * DAY_MS + b * 300_000;
        const h = (b * 300_000) / HOUR_MS;
        if (h >= 9 && h < 17) for (let k = 0; k < 3; k++) out.push(...task(start + k * 90_000, 4, `s-${day}-${b}-${k}`));
      }
    }
    return out;
  };
  const offHoursAlerts = (extra: ReturnType<typeof task>, rules = DEFAULT_RULES) =>
    only(run(renumber(merge(chainedOffice(), extra)), createEngine(rules)).alerts, 'off-hours');
  const night = T0 + 3 * DAY_MS + 3 * HOUR_MS;

  it('one nightly task of 5 chained actions is one task: no alert (it alerted when every event counted)', () => {
    expect(offHoursAlerts(task(night, 5, 's-night'))).toEqual([]);
    const eventsCounted = rulesWith({ rules: [{ id: 'off-hours.activity', thresholds: { taskGapMs: 0 } }] });
    expect(offHoursAlerts(task(night, 5, 's-night'), eventsCounted)).toHaveLength(1);
  });

  it('a night of many tasks still alerts, and so does one unbroken chain of 60 actions', () => {
    const many = Array.from({ length: 12 }, (_, k) => task(night + k * 40_000, 4, `s-n${k}`)).flat();
    expect(offHoursAlerts(many).length).toBeGreaterThanOrEqual(1);
    const longChain = task(night, 60, 's-long');
    const alerts = offHoursAlerts(longChain);
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(Number(alerts[0]!.evidence.details.usualChainLength)).toBeGreaterThan(3);
  });
});

describe('off-hours state codec', () => {
  const resumeWith = (events: DetectionEvent[], cut: number, state: (own: Json) => Json) => resumeWithState(events, cut, 'off-hours', state);
  const v1 = () => JSON.parse(readFileSync(new URL('./fixtures/offHoursV1.json', import.meta.url), 'utf8')) as Json;

  it('a version-1 snapshot (two-letter fields, saved by the code before the rename) is migrated: the same alerts as never moving the agent', () => {
    const events = nightsStream();
    const cut = nightsCut(events);
    const straight = only(run(events).alerts, 'off-hours');
    expect(straight.length).toBeGreaterThan(0);
    expect(straight[0]!.firstSeen).toBeGreaterThan(events[cut]!.timestamp);
    const { rest, engine: second } = resumeWith(events, cut, () => v1());
    expect(only(rest, 'off-hours')).toEqual(straight);
    // And the migrated state is the state the current code builds itself at the cut.
    const own = createEngine(DEFAULT_RULES);
    for (const e of events.slice(0, cut)) own.process(e);
    const migrated = createEngine(DEFAULT_RULES);
    const snap = own.snapshotAgent('agent-1')!;
    migrated.restoreAgent('agent-1', { ...snap, detectors: { ...snap.detectors, 'off-hours': v1() } });
    expect(migrated.snapshotAgent('agent-1')!.detectors['off-hours']).toEqual(snap.detectors['off-hours']);
    expect(second.snapshotAgent('agent-1')!.detectors['off-hours']).toMatchObject({ version: 2 });
  });

  it('the snapshot names its fields; an unknown version or a malformed field fails loudly', () => {
    const events = nightsStream();
    const cut = nightsCut(events);
    const { engine } = run(events.slice(0, cut));
    const state = engine.snapshotAgent('agent-1')!.detectors['off-hours'] as Record<string, Json>;
    expect(Object.keys(state).sort()).toEqual(['bucket', 'bucketEvents', 'bucketExpected', 'bucketFired', 'chainEvents', 'chainMean', 'hour', 'hourAverage', 'hourEnvelope', 'hourEvents', 'hourExpected', 'hourFired', 'lastSession', 'lastTs', 'previousEvents', 'previousExpected', 'profileEvents', 'profileHours', 'threshold', 'version']);
    expect((state.profileEvents as number[]).length).toBe(168);
    expect(() => resumeWith(events, cut, (own) => ({ ...(own as object), version: 99 }))).toThrow(SnapshotVersionError);
    expect(() => resumeWith(events, cut, () => null)).toThrow(SnapshotVersionError);
    expect(() => resumeWith(events, cut, (own) => ({ ...(own as object), profileHours: [1, 2, 3] }))).toThrow(/profileHours is not 168 numbers/);
    expect(() => resumeWith(events, cut, (own) => ({ ...(own as object), threshold: 'x' }))).toThrow(/threshold is not a number/);
    expect(() => resumeWith(events, cut, () => ({ ...(v1() as object), cnt: null }))).toThrow(/cnt is not a number/);
  });
});
