/**
 * Incident groups (rules file `incidentGroups`): rules that see one change from several sides share one
 * incident per agent, so one change is one alert id; rules outside the group keep their own.
 */
import { describe, expect, it } from 'vitest';
import { RulesError } from '../../../shared/errors/index.js';
import { createEngine, DEFAULT_RULES, expireIncidents, recordFinding, resolveRules, type Finding, type IncidentBook } from '../../../shared/detection/index.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, event, merge, renumber, run, stream, ungroupedEngine } from './helpers.js';

const spikeAt = T0 + 2 * DAY_MS + 12 * HOUR_MS;
/** 120 tool calls in one bucket on top of 10 ordinary events per bucket: the agent's rate and the tool.call rate both spike. */
const burst = Array.from({ length: 120 }, (_, i) => event({ timestamp: spikeAt + Math.floor((i * BUCKET_MS) / 121), action: 'tool.call', resource: 'search_kb' }));
const events = renumber(merge(stream({ to: spikeAt + 2 * HOUR_MS, perBucket: 10 }), burst));

const rateAlerts = (alerts: Alert[]) => alerts.filter((a) => a.ruleId.startsWith('rate-spike'));
const ids = (alerts: Alert[]) => new Set(alerts.map((a) => a.alertId));

describe('incident groups', () => {
  it('without groups, one burst raises an agent-rate and an action-rate alert (two ids): the case grouping is for', () => {
    const { alerts } = run(events, ungroupedEngine());
    const rate = rateAlerts(alerts);
    expect(new Set(rate.map((a) => a.ruleId))).toEqual(new Set(['rate-spike.agent', 'rate-spike.action']));
    expect(ids(rate).size).toBe(2);
  });

  it('with the default activity-level group, the same burst is one alert id, re-emitted when the second rule joins, naming both', () => {
    expect(DEFAULT_RULES.incidentGroups.find((g) => g.id === 'activity-level')?.rules).toEqual(expect.arrayContaining(['rate-spike.agent', 'rate-spike.action']));
    const { alerts, at } = run(events);
    const rate = rateAlerts(alerts);
    expect(ids(rate).size).toBe(1);
    expect(rate[0]!.count).toBe(1);
    const joinedUpdate = rate.find((a) => a.evidence.details.incidentRules !== undefined);
    expect(joinedUpdate, 'an update naming the rules that joined').toBeDefined();
    expect(joinedUpdate!.evidence.details.incidentRules).toMatch(/rate-spike\.agent x\d+/);
    expect(joinedUpdate!.evidence.details.incidentRules).toMatch(/rate-spike\.action x\d+/);
    expect(joinedUpdate!.count).toBeGreaterThanOrEqual(2);
    // The opening alert and the join's update both come within the burst's bucket: grouping delays nothing.
    const bucketOf = (a: Alert) => Math.floor(at[alerts.indexOf(a)]! / BUCKET_MS);
    expect(bucketOf(rate[0]!)).toBe(Math.floor(spikeAt / BUCKET_MS));
    expect(bucketOf(joinedUpdate!)).toBe(Math.floor(spikeAt / BUCKET_MS));
    // The alert id is the opening rule's, as without groups.
    const ungrouped = rateAlerts(run(events, ungroupedEngine()).alerts);
    expect(ungrouped.map((a) => a.alertId)).toContain(rate[0]!.alertId);
  });

  it('a rule outside the group keeps its own incident during an open grouped one', () => {
    const failures = Array.from({ length: 40 }, (_, i) => event({ timestamp: spikeAt + 60_000 + i * 5_000, action: 'auth.login', outcome: 'ERROR', resource: 'sso' }));
    const { alerts } = run(renumber(merge(stream({ to: spikeAt + 2 * HOUR_MS, perBucket: 10 }), burst, failures)));
    const auth = alerts.filter((a) => a.ruleId === 'error-burst.auth-failures');
    expect(auth.length).toBeGreaterThan(0);
    expect(ids(auth).size).toBe(1);
    expect([...ids(auth)][0]).not.toBe([...ids(rateAlerts(alerts))][0]);
  });

  it('the stronger severity leads the grouped alert, whichever rule found it', () => {
    // Make the action rule the weaker one: LOW at most; the agent rule keeps MEDIUM or above.
    const rules = resolveRules({ rules: [{ id: 'rate-spike.action', severity: 'LOW' }, { id: 'rate-spike.agent', severity: 'HIGH' }] }, 'test');
    const { alerts } = run(events, createEngine(rules));
    const rate = rateAlerts(alerts);
    expect(ids(rate).size).toBe(1);
    const last = rate[rate.length - 1]!;
    expect(last.ruleId).toBe('rate-spike.agent');
    expect(['MEDIUM', 'HIGH']).toContain(last.severity);
  });

  it('refuses an unknown rule in a group, and a rule in two groups, with the path of the bad entry', () => {
    const unknown = (() => {
      try {
        resolveRules({ incidentGroups: [{ id: 'x', description: 'x', rules: ['rate-spike.agent', 'rate-spike.nope'] }] }, 'test');
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(unknown).toBeInstanceOf(RulesError);
    expect((unknown as RulesError).message).toMatch(/incidentGroups\[0 id=x\]\.rules\[1\]: unknown rule id "rate-spike\.nope"/);
    expect(() =>
      resolveRules(
        {
          incidentGroups: [
            { id: 'a', description: 'a', rules: ['rate-spike.agent', 'rate-spike.action'] },
            { id: 'b', description: 'b', rules: ['rate-spike.agent', 'slow-ramp.rate'] },
          ],
        },
        'test',
      ),
    ).toThrow(/incidentGroups\[1 id=b\]\.rules\[0\]: rate-spike\.agent is already in group a/);
  });
});

describe('an incident held open by a level shift (holdIncidentMs)', () => {
  const ruleOf = (id: string) => DEFAULT_RULES.rules.find((r) => r.id === id)!;
  const finding = (ruleId: string, hold?: number): Finding => ({
    detector: ruleId.split('.')[0]!,
    ruleId,
    score: 0.6,
    title: ruleId,
    description: ruleId,
    metric: 'count(*) per bucket',
    observed: 20,
    baseline: { mean: 10, std: 2, median: null, mad: null, sampleSize: 100, source: 'agent' },
    windowStart: T0,
    windowEnd: T0 + BUCKET_MS,
    relatedEventIds: [],
    details: {},
    ...(hold ? { holdIncidentMs: hold } : {}),
  });
  const party = { agentId: 'agent-1', agentRole: 'support', tenantId: 't' };
  const cooldown = HOUR_MS;
  const record = (book: IncidentBook, ruleId: string, at: number, hold?: number) => {
    const out: Alert[] = [];
    recordFinding(book, 'activity-level', finding(ruleId, hold), ruleOf(ruleId), party, at, BUCKET_MS, cooldown, out);
    return out;
  };

  it("a ramp that holds its incident for 3 h takes in the accumulation that comes 70 min later: one alert id naming both", () => {
    const book: IncidentBook = new Map();
    const ramp = record(book, 'slow-ramp.rate', T0, 3 * HOUR_MS);
    const later = record(book, 'rate-spike.agent', T0 + 70 * 60_000);
    expect(later.map((a) => a.alertId)).toEqual([ramp[0]!.alertId]);
    expect(later[0]!.evidence.details.incidentRules).toMatch(/rate-spike\.agent x1.*slow-ramp\.rate x1|slow-ramp\.rate x1.*rate-spike\.agent x1/);
    // Without the hold the cooldown closes the incident first: a second alert id.
    const plain: IncidentBook = new Map();
    const first = record(plain, 'slow-ramp.rate', T0);
    expect(record(plain, 'rate-spike.agent', T0 + 70 * 60_000)[0]!.alertId).not.toBe(first[0]!.alertId);
  });

  it('past the hold and the cooldown the incident closes: a finding after it opens a new one', () => {
    const book: IncidentBook = new Map();
    const ramp = record(book, 'slow-ramp.rate', T0, 3 * HOUR_MS);
    const out: Alert[] = [];
    expireIncidents(book, T0 + 2 * HOUR_MS, cooldown, out);
    expect(book.size).toBe(1);
    expireIncidents(book, T0 + 3 * HOUR_MS + 1, cooldown, out);
    expect(book.size).toBe(0);
    expect(record(book, 'rate-spike.agent', T0 + 3 * HOUR_MS + 2)[0]!.alertId).not.toBe(ramp[0]!.alertId);
  });
});
