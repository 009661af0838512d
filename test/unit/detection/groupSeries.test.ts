/**
 * group-series: role and tenant totals as series with their own baselines. A pull split across three agents of
 * a role, each under its own threshold, alerts on the role (naming them and their shares); the same total from
 * one agent of the role is that agent's alert, not the role's; unverified events count for nothing; the state
 * is bounded and moves through bytes with identical future alerts.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES, type DetectionEvent } from '../../../shared/detection/index.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { agentIdProblem } from '../../../shared/identity/index.js';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, event, merge, renumber, stream } from './helpers.js';
import { MAX_GROUPS_PER_KIND } from '../../../shared/detection/detectors/groupSeries/state.js';

const ROLE = 'research';
const AGENTS = ['r-1', 'r-2', 'r-3', 'r-4', 'r-5', 'r-6'];
/** A day of history (the groups' learning period), then the pull on day 2 at 14:00. */
const PULL_AT = T0 + DAY_MS + 14 * HOUR_MS + 60_000;
const END = T0 + DAY_MS + 16 * HOUR_MS;

function history(): DetectionEvent[] {
  return merge(...AGENTS.map((agentId, i) => stream({ agentId, agentRole: ROLE, to: END, perBucket: 10, seed: 100 + i })));
}

/** `perAgent` extra records read by each of `agents`, in 4 page-sized reads within a minute. */
function pull(agents: string[], perAgent: number): DetectionEvent[] {
  return agents.flatMap((agentId, a) =>
    Array.from({ length: 4 }, (_, k) => event({ agentId, agentRole: ROLE, timestamp: PULL_AT + a * 1000 + k * 10_000, action: 'data.read', resource: 'crm.customers', records: perAgent / 4, bytesOut: 2000, tokens: 300 })),
  );
}

function alertsFor(events: DetectionEvent[], detectors = ['volume-spike', 'group-series']): Alert[] {
  const engine = createEngine(DEFAULT_RULES, { detectors });
  const out: Alert[] = [];
  for (const e of renumber(merge(events))) out.push(...engine.process(e));
  out.push(...engine.flush(END + HOUR_MS));
  return out;
}

const roleRecords = (alerts: Alert[]) => alerts.filter((a) => a.ruleId === 'group-series.role.records');

// Each case runs a few engines over ~6 agents x 1.7 days: slower than the default 5 s on a loaded machine.
describe('group-series', { timeout: 30_000 }, () => {
  it('a pull split across 3 agents, each under its own threshold, alerts on the role, naming them and their shares', () => {
    const split = ['r-2', 'r-4', 'r-5'];
    const alerts = alertsFor([...history(), ...pull(split, 600)]);
    // Each agent stays under its own volume threshold: no per-agent records alert for them.
    expect(alerts.filter((a) => a.ruleId === 'volume-spike.records' && split.includes(a.agentId))).toEqual([]);
    const role = roleRecords(alerts);
    expect(role.length).toBeGreaterThan(0);
    const first = role[0]!;
    if (process.env.SHOW_GROUP_ALERT) console.log(JSON.stringify(first, null, 1));
    expect(first.agentId).toBe(`group:role:${ROLE}`);
    expect(first.agentRole).toBe(ROLE);
    expect(first.tenantId).toBe('tenant-1');
    expect(first.evidence.windowStart).toBe(Math.floor(PULL_AT / BUCKET_MS) * BUCKET_MS);
    expect(first.evidence.details.groupKind).toBe('role');
    expect(first.evidence.details.horizonBuckets).toBe('1');
    expect(first.evidence.details.agents!.split(', ').sort()).toEqual(split);
    // Every carrier with its share of the total, and the baseline and total the role was judged on.
    for (const a of split) expect(first.evidence.details.shares).toMatch(new RegExp(`${a} [\\d,]+ \\(\\d+%\\)`));
    expect(first.evidence.baselineSource).toBe('agent');
    expect(first.evidence.baselineMedian).toBeGreaterThan(0);
    // Fired while the bucket filled, at the crossing (the total the role had reached by then).
    expect(first.evidence.observed).toBeGreaterThan(1.5 * first.evidence.baselineMedian!);
    expect(first.evidence.observed).toBeGreaterThanOrEqual(Number(first.evidence.details.threshold!.replace(/,/g, '')));
    // The group's agentId is no agent's: shared/identity refuses it, so no event can claim it and no command reaches an agent.
    expect(agentIdProblem(first.agentId)).toMatch(/reserved/);
  });

  it('the same total from one agent of the role does not alert on the role (it is that agent\'s own spike)', () => {
    const alerts = alertsFor([...history(), ...pull(['r-3'], 1800)]);
    expect(roleRecords(alerts)).toEqual([]);
    expect(alerts.some((a) => a.ruleId === 'group-series.tenant.records')).toBe(false);
    // The single agent's own detector does see it.
    expect(alerts.some((a) => a.ruleId === 'volume-spike.records' && a.agentId === 'r-3')).toBe(true);
  });

  it('two agents that each alert on their own are their own alerts, not a hidden group total', () => {
    const alerts = alertsFor([...history(), ...pull(['r-2', 'r-4'], 1800)]);
    for (const a of ['r-2', 'r-4']) expect(alerts.some((x) => x.ruleId === 'volume-spike.records' && x.agentId === a)).toBe(true);
    expect(alerts.filter((a) => a.detector === 'group-series')).toEqual([]);
  });

  it('without the detector, the split pull raises nothing (each agent is under its own threshold)', () => {
    const alerts = alertsFor([...history(), ...pull(['r-2', 'r-4', 'r-5'], 600)], ['volume-spike']);
    expect(alerts.filter((a) => a.ruleId.includes('records'))).toEqual([]);
  });

  it('unverified events count for nothing in a group total', () => {
    const forged = pull(['r-2', 'r-4', 'r-5'], 600).map((e) => ({ ...e, verification: 'invalid' as const }));
    expect(roleRecords(alertsFor([...history(), ...forged]))).toEqual([]);
  });

  it('caps the groups of a kind and counts the events over the cap', () => {
    const engine = createEngine(DEFAULT_RULES, { detectors: ['group-series'] });
    for (let i = 0; i < MAX_GROUPS_PER_KIND + 5; i++) engine.process(event({ agentId: `a-${i}`, agentRole: `role-${i}`, tenantId: 'tenant-1', timestamp: T0 + i, seq: 1 }));
    const stats = engine.groupStats()['group-series']!;
    expect(stats.groups).toBe(MAX_GROUPS_PER_KIND + 1);
    expect(stats.overflowEvents).toBe(5);
  });

  it('snapshot -> bytes -> restore of agents and groups mid-stream gives identical future alerts', () => {
    const events = renumber(merge(history(), pull(['r-2', 'r-4', 'r-5'], 600)));
    const cut = events.findIndex((e) => e.timestamp >= PULL_AT - 30 * 60_000);
    const straight = createEngine(DEFAULT_RULES, { detectors: ['volume-spike', 'group-series'] });
    for (let i = 0; i < cut; i++) straight.process(events[i]!);
    const agentBytes = straight.agentIds().map((id) => [id, Uint8Array.from(straight.snapshotAgentBytes(id)!)] as const);
    const groupBytes = Uint8Array.from(straight.snapshotGroupsBytes());
    const expected: Alert[] = [];
    for (let i = cut; i < events.length; i++) expected.push(...straight.process(events[i]!));
    expected.push(...straight.flush(END + HOUR_MS));
    const moved = createEngine(DEFAULT_RULES, { detectors: ['volume-spike', 'group-series'] });
    for (const [id, b] of agentBytes) moved.restoreAgentBytes(id, b);
    moved.restoreGroupsBytes(groupBytes);
    const actual: Alert[] = [];
    for (let i = cut; i < events.length; i++) actual.push(...moved.process(events[i]!));
    actual.push(...moved.flush(END + HOUR_MS));
    expect(roleRecords(expected).length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });

  it('refuses a group snapshot of another version with a typed error, and counts it', () => {
    const engine = createEngine(DEFAULT_RULES, { detectors: ['group-series'] });
    const snap = engine.snapshotGroups();
    expect(() => engine.restoreGroups({ ...snap, v: 9 as 1 })).toThrow(/groups snapshot version 9 is not supported/);
    expect(() => engine.restoreGroups({ ...snap, detectors: { 'group-series': { version: 0 } } })).toThrow(/group-series snapshot version 0/);
    expect(engine.stats().refusedSnapshots).toBe(2);
  });
});
