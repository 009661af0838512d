/**
 * Time zones per agent and role (rules engine.timezones, shared/detection/timeZone.ts): an agent's
 * hour-of-week, day class and off-hours profile are in its local time, daylight saving included.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, T0, event, merge, only, renumber, rulesWith, run, stream } from './helpers.js';
import { createEngine, DEFAULT_RULES, type DetectionEvent, type Rules } from '../../../shared/detection/index.js';
import { RulesError } from '../../../shared/errors/index.js';
import { parseTimeZone } from '../../../shared/detection/timeZone.js';
import { dayClassOfHourOfWeek, hourOfWeek, seasonSlot } from '../../../shared/detection/time.js';

/** Offsets written by hand (not read from the code under test): Tokyo has kept +09:00 since 1951. */
const TOKYO_MS = 9 * HOUR_MS;

/**
 * A Tokyo office agent, Monday to Friday 07:00-17:00 local. (Its working day is 22:00-08:00 UTC, so the
 * first two hours of a Tokyo Monday are Sunday in UTC; a 09:00-17:00 Tokyo day would sit on UTC weekdays,
 * 00:00-08:00, and one fleet-wide zone would get its day class right by luck.)
 */
const tokyoOffice = (ts: number): number => {
  const local = ts + TOKYO_MS;
  const dow = (Math.floor(local / DAY_MS) + 3) % 7; // 0 = Monday (1970-01-01 was a Thursday)
  const h = (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  return dow < 5 && h >= 7 && h < 17 ? 10 : 0.02;
};

const withZones = (timezones: Record<string, unknown>): Rules => rulesWith({ engine: { timezones } });
const tokyoRole = withZones({ roles: { support: 'Asia/Tokyo' } });

/** A week and a day of that traffic from Monday 09:00 Tokyo (T0 = Monday 00:00 UTC): the second Tokyo Monday morning is the week's first one. */
const week = (): DetectionEvent[] => stream({ to: T0 + 8 * DAY_MS, perBucket: tokyoOffice });
/** 15 actions 30 s apart (15 tasks) at 03:00 Tokyo on Thursday = Wednesday 18:00 UTC. */
const threeAm = (): DetectionEvent[] => Array.from({ length: 15 }, (_, i) => event({ timestamp: T0 + 2 * DAY_MS + 18 * HOUR_MS + i * 30_000 }));
/** The second Tokyo Monday's 07:00-09:00 = Sunday 22:00 - Monday 00:00 UTC. */
const mondayMorning = { from: T0 + 7 * DAY_MS - 2 * HOUR_MS, to: T0 + 7 * DAY_MS };

describe('time zone per agent and role', () => {
  it('an IANA zone puts a Tokyo Monday morning in the weekday class; UTC puts it in the weekend', () => {
    const tokyo = parseTimeZone('Asia/Tokyo');
    const mondayEight = mondayMorning.from + HOUR_MS; // 08:00 Tokyo, Sunday 23:00 UTC
    expect(hourOfWeek(mondayEight, tokyo)).toBe(8);
    expect(dayClassOfHourOfWeek(hourOfWeek(mondayEight, tokyo))).toBe(0);
    expect(seasonSlot(mondayEight, tokyo)).toBe(8);
    expect(dayClassOfHourOfWeek(hourOfWeek(mondayEight, parseTimeZone('UTC')))).toBe(1);
  });

  it('Tokyo office hours with the role zone: an ordinary Monday morning raises nothing, a 03:00 burst alerts at its local time', () => {
    const off = only(run(renumber(merge(week(), threeAm())), createEngine(tokyoRole)).alerts, 'off-hours');
    expect(off).toHaveLength(1);
    expect(off[0]!.evidence.details.localTime).toBe('Thu 03:00');
    expect(off[0]!.evidence.details.timeZone).toBe('Asia/Tokyo');
    expect(off.some((a) => a.firstSeen >= mondayMorning.from && a.firstSeen < mondayMorning.to)).toBe(false);
  });

  it('the same traffic judged in UTC reads the Monday morning as Sunday night (the fault the zone fixes)', () => {
    const off = only(run(renumber(merge(week(), threeAm())), createEngine(DEFAULT_RULES)).alerts, 'off-hours');
    const monday = off.filter((a) => a.firstSeen >= mondayMorning.from && a.firstSeen < mondayMorning.to);
    expect(monday.length).toBeGreaterThanOrEqual(1);
    expect(monday[0]!.evidence.details.localTime).toMatch(/^Sun 2[23]:00$/);
    // The burst still alerts, at the wrong local time.
    expect(off.some((a) => a.evidence.details.localTime === 'Wed 18:00')).toBe(true);
  });

  it("an agent's own zone wins over its role's, the role's over the default", () => {
    const rules = withZones({ default: '+02:00', roles: { support: 'Asia/Tokyo' }, agents: { 'agent-2': 'America/New_York' } });
    const zoneOf = (agentId: string, agentRole: string): string | undefined => {
      const events = renumber(merge(stream({ agentId, agentRole, to: T0 + 3 * DAY_MS, perBucket: tokyoOffice }), threeAm().map((e) => ({ ...e, agentId, agentRole }))));
      return only(run(renumber(events), createEngine(rules)).alerts, 'off-hours')[0]?.evidence.details.timeZone;
    };
    expect(zoneOf('agent-1', 'support')).toBe('Asia/Tokyo');
    expect(zoneOf('agent-2', 'support')).toBe('America/New_York');
    expect(zoneOf('agent-3', 'finance')).toBe('+02:00');
  });

  it("the role's peer profile learns in the agent's local hours: a Tokyo working day fills the weekday 07:00-17:00 slots", () => {
    /** The role's profile of the agent-level rate series (snapshot: [role, agents, [[key, means, variances, counts]], ...]). */
    const peerMeans = (rules: Rules): number[] => {
      const engine = run(renumber(week()), createEngine(rules, { detectors: ['rate-spike'] })).engine;
      const [, , series] = (engine.snapshotPeers() as unknown as [string, string[], [string, number[], number[], number[]][]][])[0]!;
      return series[0]![1]!;
    };
    // Slots are day class x hour of day: 0..23 weekdays, 24..47 weekends.
    const workingDayShare = (means: number[]) => means.slice(7, 17).reduce((a, b) => a + b, 0) / means.reduce((a, b) => a + b, 0);
    expect(workingDayShare(peerMeans(tokyoRole))).toBeGreaterThan(0.9);
    // In UTC the same agent teaches 22:00-08:00 and leaves 07:00-17:00 nearly empty: new Tokyo agents would be judged on that.
    expect(workingDayShare(peerMeans(DEFAULT_RULES))).toBeLessThan(0.2);
  });

  it('a restored agent is judged in its zone (resolved again from the rules, not from the snapshot)', () => {
    const events = renumber(merge(week(), threeAm()));
    const whole = only(run(events.map((e) => ({ ...e })), createEngine(tokyoRole)).alerts, 'off-hours');
    const first = createEngine(tokyoRole);
    const cut = T0 + 2 * DAY_MS;
    run(events.filter((e) => e.timestamp < cut).map((e) => ({ ...e })), first);
    const second = createEngine(tokyoRole);
    second.restoreAgent('agent-1', JSON.parse(JSON.stringify(first.snapshotAgent('agent-1'))));
    const resumed = only(run(events.filter((e) => e.timestamp >= cut).map((e) => ({ ...e })), second).alerts, 'off-hours');
    expect(resumed.map((a) => [a.alertId, a.evidence.details.localTime])).toEqual(whole.map((a) => [a.alertId, a.evidence.details.localTime]));
    expect(resumed).toHaveLength(1);
  });
});

describe('daylight saving', () => {
  // America/New_York: EST (-05:00) until Sunday 2025-03-09 07:00 UTC (02:00 local), then EDT (-04:00); back on 2025-11-02 06:00 UTC.
  const ny = parseTimeZone('America/New_York');
  const switchUtc = Date.UTC(2025, 2, 9, 7);

  it('the offset follows the zone at the event time, to the quarter hour of the switch', () => {
    expect(ny.offsetAt(switchUtc - 60_000)).toBe(-5 * HOUR_MS);
    expect(ny.offsetAt(switchUtc)).toBe(-4 * HOUR_MS);
    expect(ny.offsetAt(Date.UTC(2025, 10, 2, 5, 59))).toBe(-4 * HOUR_MS);
    expect(ny.offsetAt(Date.UTC(2025, 10, 2, 6))).toBe(-5 * HOUR_MS);
    // 09:00 local is 14:00 UTC before the switch and 13:00 UTC after it: hour-of-week 9 on both Mondays.
    expect(hourOfWeek(Date.UTC(2025, 2, 3, 14), ny)).toBe(9);
    expect(hourOfWeek(Date.UTC(2025, 2, 10, 13), ny)).toBe(9);
    // A fixed offset does not follow it.
    expect(hourOfWeek(Date.UTC(2025, 2, 10, 13), parseTimeZone('-05:00'))).toBe(8);
  });

  it('an agent in America/New_York keeps its local hours across the switch: a 03:00 burst after it is judged at 03:00 local', () => {
    const nyOffice = (ts: number): number => {
      const local = ts + ny.offsetAt(ts);
      const dow = (Math.floor(local / DAY_MS) + 3) % 7;
      const h = (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
      return dow < 5 && h >= 9 && h < 17 ? 10 : 0.02;
    };
    const from = Date.UTC(2025, 2, 3, 5); // Monday 2025-03-03 00:00 EST
    const traffic = stream({ from, to: Date.UTC(2025, 2, 12, 4), perBucket: nyOffice });
    // Tuesday 2025-03-11 03:00 EDT = 07:00 UTC.
    const burst = Array.from({ length: 15 }, (_, i) => event({ timestamp: Date.UTC(2025, 2, 11, 7) + i * 30_000 }));
    const judged = (zone: string) => only(run(renumber(merge(traffic.map((e) => ({ ...e })), burst.map((e) => ({ ...e })))), createEngine(withZones({ default: zone }))).alerts, 'off-hours');
    const local = judged('America/New_York');
    expect(local).toHaveLength(1);
    expect(local[0]!.evidence.details.localTime).toBe('Tue 03:00');
    // With the winter offset fixed, the same burst is read an hour early.
    expect(judged('-05:00').map((a) => a.evidence.details.localTime)).toContain('Tue 02:00');
  });
});

describe('rules: engine.timezones', () => {
  const rulesError = (over: unknown): RulesError => {
    try {
      rulesWith(over);
    } catch (err) {
      expect(err).toBeInstanceOf(RulesError);
      return err as RulesError;
    }
    throw new Error('expected a RulesError');
  };

  it('an unknown zone name is refused at its key, with what a zone looks like', () => {
    const err = rulesError({ engine: { timezones: { roles: { 'support-apac': 'Asia/Tokio' } } } });
    expect(err.message).toContain('engine.timezones.roles.support-apac');
    expect(err.message).toContain('unknown time zone "Asia/Tokio"');
    expect(err.message).toContain("'+09:00'");
    expect(rulesError({ engine: { timezones: { default: '+25:00' } } }).message).toContain('engine.timezones.default');
  });

  it('accepts IANA names and fixed offsets', () => {
    const rules = withZones({ default: 'UTC+05:30', roles: { 'support-apac': 'Asia/Singapore' }, agents: { 'agent-7': 'America/New_York' } });
    expect(rules.engine.timezones).toEqual({ default: 'UTC+05:30', roles: { 'support-apac': 'Asia/Singapore' }, agents: { 'agent-7': 'America/New_York' } });
    expect(parseTimeZone('UTC+05:30').offsetAt(0)).toBe(5.5 * HOUR_MS);
  });

  it('the replaced engine.timezoneOffsetMinutes says what to write instead', () => {
    const err = rulesError({ engine: { timezoneOffsetMinutes: 540 } });
    expect(err.message).toContain('engine.timezoneOffsetMinutes: replaced by engine.timezones');
    expect(err.message).not.toContain('unknown key');
  });
});
