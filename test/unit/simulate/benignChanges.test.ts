/**
 * The generator's benign changes (issue 11): each is placed with its budget and the agents it is charged
 * with, and reshapes traffic the way its name says, checked against the same scenario without it.
 */
import { describe, expect, it } from 'vitest';
import { BENIGN_BUDGET, generateScenario, type BenignKind, type Scenario } from '../../../cli/simulate/scenario/generator.js';
import type { DetectionEvent } from '../../../shared/detection/index.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const base = { seed: 3, agents: 24, days: 6, incidentsPerType: 0 };
const none = generateScenario({ ...base, benignPerKind: 0 });
const only = (kind: BenignKind, n = 3) => generateScenario({ ...base, benignKinds: [kind], benignPerKind: n });
const byId = (s: Scenario) => new Map(s.events.map((e) => [e.eventId, e] as const));
const inSpan = (events: DetectionEvent[], ids: Set<string>, from: number, to: number) => events.filter((e) => ids.has(e.agentId) && e.timestamp >= from && e.timestamp < to).length;

describe('benign changes', () => {
  it('peer-adoption: every agent of one role starts on the same new tool within hours of each other', () => {
    const s = only('peer-adoption');
    expect(s.benign.length).toBe(3);
    for (const c of s.benign) {
      expect(c.budget).toBe(BENIGN_BUDGET['peer-adoption']);
      const role = c.agentId.replace('group:role:', '');
      const crew = c.agentIds!.filter((a) => !a.startsWith('group:'));
      expect(crew.length).toBeGreaterThanOrEqual(3);
      const tool = /adopt (\S+)/.exec(c.variant)![1]!;
      const known = new Set(none.events.map((e) => e.resource));
      expect(known.has(tool)).toBe(false);
      const firsts = crew.map((a) => Math.min(...s.events.filter((e) => e.agentId === a && e.resource === tool).map((e) => e.timestamp)));
      for (const a of crew) expect(s.agents.find((x) => x.agentId === a)!.role).toBe(role);
      expect(Math.max(...firsts) - Math.min(...firsts)).toBeLessThan(4 * HOUR);
      expect(Math.min(...firsts)).toBeGreaterThanOrEqual(c.start);
    }
  }, 60_000);

  it('dst-shift: from the switch on, every event of the zone\'s agents is an hour off, for good', () => {
    const s = only('dst-shift');
    const before = byId(none);
    for (const c of s.benign) {
      const crew = new Set(c.agentIds!.filter((a) => !a.startsWith('group:')));
      const shift = c.variant.includes('later') ? HOUR : -HOUR;
      let moved = 0;
      for (const e of s.events) {
        if (!crew.has(e.agentId)) continue;
        const orig = before.get(e.eventId)!;
        expect(e.timestamp - orig.timestamp).toBe(orig.timestamp >= c.start ? shift : 0);
        if (orig.timestamp >= c.start) moved++;
      }
      expect(moved).toBeGreaterThan(100);
    }
  }, 60_000);

  it('holiday: a weekday with weekend-like traffic for a tenant (or the fleet), normal the day after', () => {
    const s = only('holiday');
    expect(s.benign.length).toBeGreaterThan(0);
    for (const c of s.benign) {
      expect((Math.floor(c.start / DAY) + 3) % 7).toBeLessThan(5);
      const crew = new Set(c.agentIds!.filter((a) => !a.startsWith('group:')));
      const day = [c.start, c.start + DAY] as const;
      expect(inSpan(s.events, crew, ...day) / inSpan(none.events, crew, ...day)).toBeLessThan(0.85);
      const after = [c.start + DAY, c.start + DAY + 10 * HOUR] as const;
      expect(inSpan(s.events, crew, ...after)).toBe(inSpan(none.events, crew, ...after));
    }
  }, 60_000);

  it('new-agent-like-peers: a new agent of an existing role joins mid-scenario, doing what its role does', () => {
    const s = only('new-agent-like-peers');
    for (const c of s.benign) {
      expect(none.agents.some((a) => a.agentId === c.agentId)).toBe(false);
      const agent = s.agents.find((a) => a.agentId === c.agentId)!;
      expect(agent.joinTs).toBe(c.start);
      expect(agent.joinTs).toBeGreaterThan(s.startTs + DAY);
      const roleActions = new Set(s.agents.filter((a) => a.role === agent.role && a !== agent).flatMap((a) => a.actionNames));
      const own = s.events.filter((e) => e.agentId === c.agentId);
      expect(own.length).toBeGreaterThan(100);
      for (const e of own) expect(roleActions.has(e.action)).toBe(true);
    }
  }, 60_000);

  it('clock-skew: event times run 1-5 minutes off for a few hours, arrivals stay real and seqs keep climbing', () => {
    const s = only('clock-skew');
    for (const c of s.benign) {
      const offsets = new Set<number>();
      let lastSeq = -1;
      s.events.forEach((e, i) => {
        if (e.agentId !== c.agentId) return;
        expect(e.seq).toBeGreaterThan(lastSeq);
        lastSeq = e.seq;
        const off = e.timestamp - s.arrivals[i]!;
        if (off !== 0) offsets.add(off);
      });
      expect(offsets.size).toBe(1);
      const off = Math.abs([...offsets][0]!);
      expect(off).toBeGreaterThanOrEqual(60_000);
      expect(off).toBeLessThanOrEqual(5 * 60_000);
    }
  }, 60_000);

  it('producer-retries and workload-doubles keep their budget of 1', () => {
    expect(BENIGN_BUDGET['producer-retries']).toBe(1);
    expect(BENIGN_BUDGET['workload-doubles']).toBe(1);
  });
});
