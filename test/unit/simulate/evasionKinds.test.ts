/**
 * The generator's evasion kinds (issue 11): each is placed and labelled, and its events have the property
 * that defines its class, checked against the same scenario without it (forked streams keep the rest equal).
 * Also: the classic kinds' output is byte-identical to before the evasions existed, and stays put when
 * evasions are added.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, getRule } from '../../../shared/detection/index.js';
import { ALL_INCIDENT_TYPES, DETECTORS_FOR, EVASION_TYPES, INCIDENT_TYPES, generateScenario, toJsonl, type IncidentType, type Scenario } from '../../../cli/simulate/scenario/generator.js';
import type { DetectionEvent } from '../../../shared/detection/index.js';
import { UnknownKindError, parseBenignKinds, parseIncidentTypes } from '../../../cli/simulate/scenario/kindList.js';

const SLOT = 300_000;
const DAY = 86_400_000;
const base = { seed: 3, agents: 24, days: 6, incidentsPerType: 3 };
const none = generateScenario({ ...base, types: [] });
const only = (type: IncidentType) => generateScenario({ ...base, types: [type] });

const ofAgent = (s: Scenario, agentId: string) => s.events.filter((e) => e.agentId === agentId);
/** Events the incident added: in `s`, not in the scenario without incidents. */
function added(s: Scenario, agentId: string): DetectionEvent[] {
  const ids = new Set(ofAgent(none, agentId).map((e) => e.eventId));
  return ofAgent(s, agentId).filter((e) => !ids.has(e.eventId));
}
const sumBy = (events: DetectionEvent[], bucket: number, value: (e: DetectionEvent) => number) => events.filter((e) => Math.floor(e.timestamp / SLOT) === bucket).reduce((a, e) => a + value(e), 0);
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const weekend = (ts: number) => (Math.floor(ts / DAY) + 3) % 7 >= 5;
/** The agent's usual level in a bucket: median of the same slot on earlier days of the same day class (normal traffic). */
function usual(normal: DetectionEvent[], joinTs: number, bucket: number, value: (e: DetectionEvent) => number): number {
  const sums: number[] = [];
  for (let d = 1; d <= 9 && sums.length < 7; d++) {
    const ts = bucket * SLOT - d * DAY;
    if (ts < joinTs) break;
    if (weekend(ts) === weekend(bucket * SLOT)) sums.push(sumBy(normal, Math.floor(ts / SLOT), value));
  }
  return median(sums);
}
const joinOf = (s: Scenario, agentId: string) => s.agents.find((a) => a.agentId === agentId)!.joinTs;

describe('evasion incident kinds', () => {
  it('classic kinds only: output byte-identical to the generator before the evasions (fixed digest)', () => {
    const s = generateScenario({ seed: 3, agents: 16, days: 5, incidentsPerType: 2, benignPerKind: 2, benignKinds: ['producer-retries', 'workload-doubles'] });
    const digest = createHash('sha256').update(toJsonl(s.events)).update(JSON.stringify(s.incidents)).update(JSON.stringify(s.benign)).digest('hex');
    expect(digest).toBe('bc142434eb691da8017a2c1a4918c3249b6f58479aa1abbe20617d20ac69b2f7');
  }, 60_000);

  it('adding the evasions moves no classic incident', () => {
    const classic = generateScenario({ ...base, types: [...INCIDENT_TYPES] });
    const all = generateScenario({ ...base, types: [...ALL_INCIDENT_TYPES] });
    const key = (s: Scenario) => s.incidents.filter((i) => (INCIDENT_TYPES as readonly string[]).includes(i.type)).map((i) => `${i.id} ${i.type} ${i.agentId} ${i.start} ${i.end} ${i.variant}`);
    expect(key(all)).toEqual(key(classic));
    for (const type of EVASION_TYPES) expect(all.incidents.some((i) => i.type === type), type).toBe(true);
  }, 60_000);

  it('every evasion kind is placed and labelled, with detectors that count', () => {
    for (const type of EVASION_TYPES) {
      const s = only(type);
      const incs = s.incidents.filter((i) => i.type === type);
      expect(incs.length, type).toBe(3);
      for (const i of incs) {
        expect(i.variant.length).toBeGreaterThan(0);
        expect(i.end).toBeGreaterThan(i.start);
        expect(added(s, i.agentId).length, `${type} ${i.id}`).toBeGreaterThan(0);
      }
      expect(DETECTORS_FOR[type].length).toBeGreaterThan(0);
    }
  }, 120_000);

  it('low-slow-egress: no bucket above 3x the agent\'s usual level, yet the window adds many usual buckets of bytes', () => {
    const s = only('low-slow-egress');
    for (const i of s.incidents) {
      const normal = ofAgent(none, i.agentId);
      const all = ofAgent(s, i.agentId);
      const extra = added(s, i.agentId);
      let addedTotal = 0;
      const levels: number[] = [];
      for (let b = Math.floor(i.start / SLOT); b * SLOT < i.end; b++) {
        const level = usual(normal, joinOf(s, i.agentId), b, (e) => e.bytesOut);
        levels.push(level);
        expect(sumBy(all, b, (e) => e.bytesOut)).toBeLessThanOrEqual(3.3 * Math.max(level, sumBy(normal, b, (e) => e.bytesOut)));
        addedTotal += sumBy(extra, b, (e) => e.bytesOut);
      }
      expect(addedTotal).toBeGreaterThan(5 * median(levels));
      expect(i.end - i.start).toBeGreaterThanOrEqual(3 * 3_600_000);
      // To hosts the agent already used.
      const known = new Set(normal.filter((e) => e.timestamp < i.start).map((e) => e.target));
      for (const e of extra) expect(known.has(e.target)).toBe(true);
    }
  }, 60_000);

  it('split-pull: 3-4 agents of one role, each at most 3x its own usual records per bucket, labelled as participants and role group', () => {
    const s = only('split-pull');
    for (const i of s.incidents) {
      const crew = i.participants!;
      expect(crew.length).toBeGreaterThanOrEqual(3);
      expect(crew.length).toBeLessThanOrEqual(4);
      const roles = new Set(crew.map((a) => s.agents.find((x) => x.agentId === a)!.role));
      expect(roles.size).toBe(1);
      expect(i.groupIds).toEqual([`group:role:${[...roles][0]}`]);
      for (const a of crew) {
        const normal = ofAgent(none, a);
        const extra = added(s, a).filter((e) => e.timestamp >= i.start && e.timestamp < i.end);
        expect(extra.length).toBeGreaterThan(0);
        for (let b = Math.floor(i.start / SLOT); b * SLOT < i.end; b++) {
          const level = usual(normal, joinOf(s, a), b, (e) => e.records);
          expect(sumBy(ofAgent(s, a), b, (e) => e.records)).toBeLessThanOrEqual(3.3 * Math.max(level, sumBy(normal, b, (e) => e.records)));
        }
      }
    }
  }, 60_000);

  it('auth-under-floor: every bucket\'s failed logins stay under error-burst\'s floor, for hours', () => {
    const floor = getRule(DEFAULT_RULES, 'error-burst.auth-failures').thresholds.minValue;
    const s = only('auth-under-floor');
    for (const i of s.incidents) {
      const failures = ofAgent(s, i.agentId).filter((e) => e.outcome === 'ERROR' && e.action.startsWith('auth.'));
      let total = 0;
      for (let b = Math.floor(i.start / SLOT); b * SLOT < i.end; b++) {
        const n = sumBy(failures, b, () => 1);
        expect(n).toBeLessThan(floor);
        total += n;
      }
      expect(i.end - i.start).toBeGreaterThanOrEqual(2 * 3_600_000);
      expect(total).toBeGreaterThan(10 * floor);
    }
  }, 60_000);

  it('repeated-payments: 8-15 payments of 2-5x the agent\'s median payment within 3 hours', () => {
    const s = only('repeated-payments');
    for (const i of s.incidents) {
      const pays = added(s, i.agentId).filter((e) => e.action === 'payment.transfer');
      expect(pays.length).toBeGreaterThanOrEqual(8);
      expect(pays.length).toBeLessThanOrEqual(15);
      const before = ofAgent(none, i.agentId).filter((e) => e.action === 'payment.transfer' && e.timestamp < i.start).map((e) => e.amount!);
      const m = median(before);
      for (const p of pays) {
        expect(p.amount! / m).toBeGreaterThanOrEqual(1.99);
        expect(p.amount! / m).toBeLessThanOrEqual(5.01);
        expect(p.timestamp - i.start).toBeLessThanOrEqual(3 * 3_600_000);
      }
    }
  }, 60_000);

  it('cold-start: a new agent abuses its first hours (sensitive use, or the first of a new role pulling in bulk)', () => {
    const s = generateScenario({ ...base, types: ['cold-start'], incidentsPerType: 8 });
    const patterns = DEFAULT_RULES.sensitivity.filter((p) => ['secret', 'admin'].includes(p.label)).map((p) => new RegExp(p.pattern, 'i'));
    const variants = new Set<string>();
    for (const i of s.incidents) {
      expect(none.agents.some((a) => a.agentId === i.agentId)).toBe(false);
      expect(i.duringWarmup).toBe(true);
      const own = ofAgent(s, i.agentId);
      const first = Math.min(...own.map((e) => e.timestamp));
      expect(first).toBeGreaterThan(s.startTs + DAY);
      const early = own.filter((e) => e.timestamp < first + 4.5 * 3_600_000);
      const role = s.agents.find((a) => a.agentId === i.agentId)!.role;
      const roleExists = none.agents.some((a) => a.role === role);
      variants.add(roleExists ? 'new-agent' : 'new-role');
      if (roleExists) expect(early.some((e) => patterns.some((p) => p.test(e.resource ?? '')))).toBe(true);
      else expect(Math.max(...early.map((e) => sumBy(early, Math.floor(e.timestamp / SLOT), (x) => x.records)))).toBeGreaterThanOrEqual(60_000);
    }
    expect(variants.size).toBe(2);
  }, 60_000);

  it('poison-then-strike: the agent ramps up for a day or more before the strike, and detection time runs from the strike', () => {
    const s = only('poison-then-strike');
    for (const i of s.incidents) {
      expect(i.detectFrom! - i.start).toBeGreaterThanOrEqual(DAY);
      const measure = (sc: Scenario, from: number, to: number) => {
        const ev = ofAgent(sc, i.agentId).filter((e) => e.timestamp >= from && e.timestamp < to);
        return i.variant.startsWith('rate') ? ev.length : ev.reduce((a, e) => a + e.records + e.bytesOut, 0);
      };
      const late = [i.detectFrom! - 2 * 3_600_000, i.detectFrom!] as const;
      expect(measure(s, ...late) / measure(none, ...late)).toBeGreaterThan(1.3);
      const early = [i.start, i.start + 2 * 3_600_000] as const;
      expect(measure(s, ...early) / measure(none, ...early)).toBeLessThan(1.2);
    }
  }, 60_000);

  it('multi-step-flow: two ordinary steps minutes apart, sensitive read then a new destination, or untrusted input then a privileged action', () => {
    const s = generateScenario({ ...base, types: ['multi-step-flow'], incidentsPerType: 8 });
    const sensitive = DEFAULT_RULES.sensitivity.filter((p) => p.fields.includes('resource')).map((p) => new RegExp(p.pattern, 'i'));
    for (const i of s.incidents) {
      const [first, second] = added(s, i.agentId).sort((a, b) => a.timestamp - b.timestamp);
      expect(second!.timestamp - first!.timestamp).toBeLessThan(10 * 60_000);
      if (first!.action === 'prompt.input') {
        expect(first!.attributes.trust).toBe('untrusted');
        expect(['payment.transfer', 'permission.change']).toContain(second!.action);
      } else {
        expect(sensitive.some((p) => p.test(first!.resource ?? ''))).toBe(true);
        const used = new Set(ofAgent(none, i.agentId).map((e) => e.target));
        expect(used.has(second!.target)).toBe(false);
      }
    }
  }, 60_000);

  it('an unknown kind is refused with the valid kinds named', () => {
    expect(() => parseIncidentTypes('rate-spike,low-and-slow')).toThrow(UnknownKindError);
    expect(() => parseIncidentTypes('low-and-slow')).toThrow(/--types: unknown kind low-and-slow; valid kinds: rate-spike, .*multi-step-flow/);
    expect(() => parseBenignKinds('holiday,eclipse')).toThrow(/--benign-kinds: unknown kind eclipse; valid kinds: producer-retries, .*clock-skew/);
    expect(parseIncidentTypes('split-pull, cold-start')).toEqual(['split-pull', 'cold-start']);
  });
});
