import { describe, expect, it } from 'vitest';
import { createCrew, reportToCrew, restoreCrew, snapshotCrew } from '../../../shared/detection/baseline/crew.js';
import type { CrewReading } from '../../../shared/detection/baseline/accumulation.js';
import { DEFAULT_RULES, createEngine } from '../../../shared/detection/index.js';
import { DAY_MS, HOUR_MS, T0, merge, renumber, run, stream } from './helpers.js';

const P = { z: 3, minAgents: 3, freshBuckets: 3, maxShare: 1 };
const reading = (bucket: number, z: number, total = 200, expectedTotal = 100): CrewReading => ({ bucket, z, total, expectedTotal, buckets: 18 });

describe('crew: several agents of a role elevated at once (pure)', () => {
  it('alarms when the third member reaches the z, naming the members largest excess first', () => {
    const crew = createCrew();
    expect(reportToCrew(crew, P, 'a', reading(100, 4, 300))).toBeNull();
    expect(reportToCrew(crew, P, 'b', reading(100, 5, 250))).toBeNull();
    // Below the z: elevated but not counted.
    expect(reportToCrew(crew, P, 'c', reading(101, 2.5))).toBeNull();
    const verdict = reportToCrew(crew, P, 'd', reading(101, 3.6, 400));
    expect(verdict?.members.map((m) => m.agentId)).toEqual(['d', 'a', 'b']);
    expect(verdict?.total).toBe(950);
    expect(verdict?.expectedTotal).toBe(300);
  });

  it('alarms once per crew, and again only after the crew has broken up', () => {
    const crew = createCrew();
    for (const id of ['a', 'b']) reportToCrew(crew, P, id, reading(100, 4));
    expect(reportToCrew(crew, P, 'c', reading(100, 4))).not.toBeNull();
    expect(reportToCrew(crew, P, 'a', reading(101, 6))).toBeNull();
    // Two of them back to ordinary (below half the z): fewer than three elevated; an hour of that clears the alarm.
    reportToCrew(crew, P, 'a', reading(102, 0.5));
    reportToCrew(crew, P, 'b', reading(102, 1));
    reportToCrew(crew, P, 'a', reading(108, 0.5));
    expect(crew.fired).toBe(true);
    reportToCrew(crew, P, 'a', reading(114, 0.5));
    expect(crew.fired).toBe(false);
    // A new crew later (c's old reading is stale by then): it alarms again.
    reportToCrew(crew, P, 'a', reading(120, 4));
    reportToCrew(crew, P, 'b', reading(120, 4));
    expect(reportToCrew(crew, P, 'c', reading(121, 4))).not.toBeNull();
  });

  it('a member whose reading is older than freshBuckets does not count', () => {
    const crew = createCrew();
    reportToCrew(crew, P, 'a', reading(100, 4));
    reportToCrew(crew, P, 'b', reading(103, 4));
    expect(reportToCrew(crew, P, 'c', reading(104, 4))).toBeNull();
    expect([...crew.members.keys()].sort()).toEqual(['b', 'c']);
  });

  it('most of the role elevated at once is the role\'s day changing, not a crew (maxShare)', () => {
    const half = { ...P, maxShare: 0.5 };
    const crew = createCrew();
    for (const id of ['q1', 'q2', 'q3']) reportToCrew(crew, half, id, reading(100, 0.2));
    for (const id of ['a', 'b']) reportToCrew(crew, half, id, reading(100, 4));
    // Three of six reporting agents: a crew.
    expect(reportToCrew(crew, half, 'c', reading(100, 4))).not.toBeNull();
    const roleWide = createCrew();
    reportToCrew(roleWide, half, 'q1', reading(100, 0.2));
    for (const id of ['a', 'b']) reportToCrew(roleWide, half, id, reading(100, 4));
    // Three of four: the whole role moved.
    expect(reportToCrew(roleWide, half, 'c', reading(100, 4))).toBeNull();
  });

  it('survives a snapshot round trip (JSON) with the same next verdict', () => {
    const live = createCrew();
    reportToCrew(live, P, 'a', reading(100, 4));
    reportToCrew(live, P, 'b', reading(100, 4.5));
    const restored = restoreCrew(JSON.parse(JSON.stringify(snapshotCrew(live))));
    expect(reportToCrew(restored, P, 'c', reading(101, 5))).toEqual(reportToCrew(live, P, 'c', reading(101, 5)));
  });
});

describe('volume-spike.role-accumulation (engine)', () => {
  // Eight support agents, three days of steady reads (~100 records per bucket each); then three of them pull
  // twice their usual records for two hours.
  const agents = Array.from({ length: 8 }, (_, i) => `support-${i + 1}`);
  const end = T0 + 3 * DAY_MS + 12 * HOUR_MS;
  const base = () => agents.map((agentId, i) => stream({ agentId, to: end, perBucket: 10, seed: 11 + i }));
  /** The agents' own events, with 2x their usual records for two hours from `from` (same events, same rate). */
  const pulling = (plan: Record<string, number>) =>
    base().map((events) => events.map((e) => (plan[e.agentId] !== undefined && e.timestamp >= plan[e.agentId]! && e.timestamp < plan[e.agentId]! + 2 * HOUR_MS ? { ...e, records: Math.round(e.records! * 2) } : e)));
  const crewFrom = T0 + 3 * DAY_MS + 2 * HOUR_MS;
  const roleAlerts = (alerts: ReturnType<typeof run>['alerts']) => alerts.filter((a) => a.ruleId === 'volume-spike.role-accumulation');

  it('three agents pulling at once alert on the role, naming the three with their shares', { timeout: 60_000 }, () => {
    const { alerts, at } = run(renumber(merge(...pulling({ 'support-2': crewFrom, 'support-5': crewFrom, 'support-7': crewFrom }))));
    const found = roleAlerts(alerts);
    expect(found.length).toBe(1);
    // The crew is named (a fourth agent's chance high may complete it first: z 3 is reached now and then).
    const members = found[0]!.evidence.details.members!.split(',');
    expect(members.filter((m) => ['support-2', 'support-5', 'support-7'].includes(m)).length).toBeGreaterThanOrEqual(2);
    const shares = found[0]!.evidence.details.shares!.split(',').map(Number);
    expect(shares.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 1);
    expect(found[0]!.title).toMatch(/^records accumulating on 3 support agents at once: /);
    const raisedAt = at[alerts.indexOf(found[0]!)]!;
    expect(raisedAt).toBeGreaterThan(crewFrom);
    expect(raisedAt).toBeLessThan(crewFrom + 2 * HOUR_MS);
  });

  it('the same three pulls at different times are no crew', { timeout: 60_000 }, () => {
    const { alerts } = run(renumber(merge(...pulling({ 'support-2': crewFrom - 12 * HOUR_MS, 'support-5': crewFrom - DAY_MS, 'support-7': crewFrom }))));
    expect(roleAlerts(alerts)).toEqual([]);
  });
  it('a restart mid-crew (agents and role state through JSON) raises the same crew alert', { timeout: 60_000 }, () => {
    const events = renumber(merge(...pulling({ 'support-2': crewFrom, 'support-5': crewFrom, 'support-7': crewFrom })));
    const full = run(events);
    const whole = roleAlerts(full.alerts).map((a) => a.alertId);
    expect(whole.length).toBe(1);
    // Stop 15 minutes after the alarm: its members are still elevated, and a crew that forgot it had alarmed (or
    // who its members are) alarms again after the restart.
    const alarmedAt = full.at[full.alerts.findIndex((a) => a.alertId === whole[0])]!;
    const cut = events.findIndex((e) => e.timestamp >= alarmedAt + 15 * 60_000);
    const first = run(events.slice(0, cut));
    const restarted = createEngine(DEFAULT_RULES);
    restarted.restorePeers(JSON.parse(JSON.stringify(first.engine.snapshotPeers())));
    for (const id of agents) restarted.restoreAgent(id, JSON.parse(JSON.stringify(first.engine.snapshotAgent(id))));
    const rest = run(events.slice(cut), restarted);
    expect([...roleAlerts(first.alerts), ...roleAlerts(rest.alerts)].map((a) => a.alertId)).toEqual(whole);
  });
});
