/**
 * Group series (issue 11): role (peer group) and tenant totals of records, bytes out, tokens and actions per
 * bucket, each a series with its own baseline: the same bucketed, seasonal, robust, self-calibrating series the
 * volume and rate detectors use (baseline/series.ts: spike while a bucket fills, sustained rise by its CUSUM at
 * bucket close). So a pull split across a few agents of one role, each under its own threshold, alerts on the
 * role, naming the agents that carried it and their shares (groupSeries/finding.ts: one agent's own spike is
 * not a group finding).
 *
 * What is not per agent: the state is the group's, held by this detector object for every agent it sees and
 * snapshotted apart (`shared`, engine `snapshotGroups`); per-agent state is nothing (null). The findings carry a
 * `subject` (`group:role:<role>`, `group:tenant:<tenant>`): the engine books them per group, and the response
 * gate never isolates such a subject (it names agents; a human decides).
 *
 * Time: a group's open bucket is the latest bucket any member's event fell in; a member's event from an earlier
 * bucket counts in the open one (buckets never reopen), as an agent's late event does. One ordered stream (a
 * replay, one consumer) gives exact totals; with several consumers each instance totals the agents of its own
 * partitions (see the detection README, "Group series").
 */
import { z } from 'zod';
import { addValue, advance, createSeries, crossed, seriesEvidence, seriesScore, thresholdNow, touch, type SeriesParams } from '../baseline/series.js';
import { getRule } from '../rules/lookup.js';
import type { Rules } from '../rules/schema.js';
import { SpikeThresholds, positiveInt, unit } from '../rules/thresholds.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { seriesParamsFor } from './common.js';
import { defineDetector, rule } from './define.js';
import { restoreBook, snapshotBook } from './groupSeries/codec.js';
import { carriersOf, groupFinding } from './groupSeries/finding.js';
import { GROUP_KINDS, GROUP_METRICS, HORIZON_BUCKETS, MAX_GROUPS_PER_KIND, METRIC_COUNT, contribute, createBook, newContributionBucket, sharesOver, type GroupBook, type GroupKind, type GroupSeries } from './groupSeries/state.js';

export const GroupThresholds = SpikeThresholds.omit({ direction: true, peerZ: true })
  .extend({
    /** A group finding needs at least this many agents that each carry... */
    minAgents: positiveInt.min(2),
    /** ...at least this share of the group's excess over its expectation, with no alert of their own... */
    minAgentShare: unit,
    /** ...and no agent carries more than this share of it (one agent's own spike is its own alert). */
    maxTopShare: unit,
  })
  .strict();
export type GroupThresholdValues = z.infer<typeof GroupThresholds>;

/** Defaults in schema order: z, minRatio, minValue, alwaysAt, minAgents, minAgentShare, maxTopShare. */
const groupDefaults = (z: number, minRatio: number, minValue: number): GroupThresholdValues => ({ z, minRatio, minValue, alwaysAt: null, minAgents: 2, minAgentShare: 0.15, maxTopShare: 0.7 });

type GroupRuleId = `group-series.${GroupKind}.${'records' | 'bytes-out' | 'tokens' | 'actions'}`;

interface MetricText {
  ruleSuffix: 'records' | 'bytes-out' | 'tokens' | 'actions';
  what: string;
  /** Spread floor in the metric's unit (as volume-spike's), and whether it is a count (Poisson noise). */
  absSpreadFloor: number;
  poisson: boolean;
}

/** GROUP_METRICS order. */
const METRIC_TEXT: readonly MetricText[] = [
  { ruleSuffix: 'records', what: 'records', absSpreadFloor: 1, poisson: false },
  { ruleSuffix: 'bytes-out', what: 'bytes out', absSpreadFloor: 1024, poisson: false },
  { ruleSuffix: 'tokens', what: 'tokens', absSpreadFloor: 100, poisson: false },
  { ruleSuffix: 'actions', what: 'actions', absSpreadFloor: 1, poisson: true },
];

const TAGS = {
  records: ['owasp-llm:LLM02', 'atlas:AML.T0057', 'mitre:T1213', 'mitre:T1530'],
  'bytes-out': ['owasp-llm:LLM02', 'atlas:AML.T0025', 'mitre:T1041', 'mitre:T1567'],
  tokens: ['owasp-llm:LLM10', 'atlas:AML.T0034'],
  actions: ['owasp-llm:LLM06', 'atlas:AML.T0029'],
};

function groupRule(kind: GroupKind, m: MetricText, severity: 'HIGH' | 'MEDIUM', th: GroupThresholdValues) {
  const whom = kind === 'role' ? 'the agents of one role (peer group)' : 'the agents of one tenant';
  return rule(GroupThresholds, {
    description: `${m.what[0]!.toUpperCase()}${m.what.slice(1)} of ${whom} together far above the group's own normal for the hour, carried by several agents each under its own threshold: possibly one pull split across agents. Notifies, naming the agents; never isolates.`,
    severity,
    tags: TAGS[m.ruleSuffix],
    thresholds: th,
  });
}

export const groupSeries = defineDetector({
  name: 'group-series',
  acceptsUnverified: false,
  rules: {
    'group-series.role.records': groupRule('role', METRIC_TEXT[0]!, 'HIGH', groupDefaults(6, 1.5, 0)),
    'group-series.role.bytes-out': groupRule('role', METRIC_TEXT[1]!, 'HIGH', groupDefaults(6, 1.5, 0)),
    'group-series.role.tokens': groupRule('role', METRIC_TEXT[2]!, 'MEDIUM', groupDefaults(6, 1.5, 0)),
    'group-series.role.actions': groupRule('role', METRIC_TEXT[3]!, 'MEDIUM', groupDefaults(6, 1.5, 0)),
    'group-series.tenant.records': groupRule('tenant', METRIC_TEXT[0]!, 'HIGH', groupDefaults(6, 1.5, 0)),
    'group-series.tenant.bytes-out': groupRule('tenant', METRIC_TEXT[1]!, 'HIGH', groupDefaults(6, 1.5, 0)),
    'group-series.tenant.tokens': groupRule('tenant', METRIC_TEXT[2]!, 'MEDIUM', groupDefaults(6, 1.5, 0)),
    'group-series.tenant.actions': groupRule('tenant', METRIC_TEXT[3]!, 'MEDIUM', groupDefaults(6, 1.5, 0)),
  },
  create: createGroupSeriesDetector,
});

interface MetricSpec {
  ruleId: GroupRuleId;
  enabled: boolean;
  th: GroupThresholdValues;
  p: SeriesParams;
  text: MetricText;
}

/** What group-series keeps across agents (the engine snapshots it with `snapshotGroups`). */
export interface GroupSeriesDetector extends Detector<null> {
  readonly shared: { snapshot(): Json; restore(json: Json): void; stats(): { groups: number; overflowEvents: number; overflowContributors: number } };
}

export function createGroupSeriesDetector(rules: Rules): GroupSeriesDetector {
  const specs: Record<GroupKind, MetricSpec[]> = { role: [], tenant: [] };
  for (const kind of GROUP_KINDS) {
    specs[kind] = METRIC_TEXT.map((text) => {
      const ruleId = `group-series.${kind}.${text.ruleSuffix}` as GroupRuleId;
      const r = getRule(rules, ruleId);
      return { ruleId, enabled: r.enabled, th: r.thresholds, p: seriesParamsFor(rules, { ...r.thresholds, direction: 'up', peerZ: null }, { poisson: text.poisson, absSpreadFloor: text.absSpreadFloor }), text };
    });
  }
  const paramsOf = (kind: GroupKind) => specs[kind].map((s) => s.p);
  const learningPeriodMs = rules.engine.learningPeriodMs;
  let book: GroupBook = createBook();
  const values = new Array<number>(METRIC_COUNT).fill(0);

  function groupFor(kind: GroupKind, name: string, ctx: DetectionContext<null>): GroupSeries | null {
    const map = book[kind];
    let g = map.get(name);
    if (!g) {
      if (map.size >= MAX_GROUPS_PER_KIND) {
        book.overflowEvents++;
        return null;
      }
      g = { kind, name, firstSeen: ctx.now, openBucket: -1, series: specs[kind].map((s) => createSeries(s.p, ctx.bucket)), recent: [] };
      map.set(name, g);
    }
    return g;
  }

  /** Close the group's buckets before `bucket` (sustained rises are judged there) and open `bucket`. */
  function moveTo(g: GroupSeries, bucket: number, ctx: DetectionContext<null>, out: Finding[]): Finding[] {
    if (bucket <= g.openBucket) return out;
    const list = specs[g.kind];
    for (let m = 0; m < METRIC_COUNT; m++) {
      const st = g.series[m]!;
      const spec = list[m]!;
      const verdict = st.openBucket >= 0 && st.openBucket < bucket ? advance(st, spec.p, bucket, null) : null;
      if (verdict?.shift && spec.enabled) {
        const f = shiftFinding(g, m, spec, verdict.shift.horizonBuckets, verdict.bucket, verdict.shift.excess, verdict.shift.score, ctx);
        if (f) out = out === NO_FINDINGS ? [f] : [...out, f];
      }
    }
    g.openBucket = bucket;
    g.recent.push(newContributionBucket(bucket));
    if (g.recent.length > HORIZON_BUCKETS) g.recent.shift();
    return out;
  }

  function shiftFinding(g: GroupSeries, m: number, spec: MetricSpec, horizon: number, lastBucket: number, excess: number, score: number, ctx: DetectionContext<null>): Finding | null {
    // The contributions of the horizon's buckets: the open bucket has not been rotated yet, so it is the last.
    const buckets = g.recent.filter((cb) => cb.bucket > lastBucket - horizon && cb.bucket <= lastBucket);
    const sh = sharesOver({ ...g, recent: buckets }, m, horizon);
    const total = sh.shares.reduce((a, s) => a + s.value, 0) + sh.others;
    const expected = total - excess;
    const windowStart = (lastBucket - horizon + 1) * spec.p.bucketMs;
    // Members without an alert of their own must carry at least half of a sustained rise.
    const carriers = carriersOf(sh.shares, sh.otherAgents, total, expected, 0.5 * excess, spec.th, (a) => ctx.agentAlertedSince(a, windowStart - spec.p.bucketMs));
    if (carriers.length === 0) return null;
    const st = g.series[m]!;
    return groupFinding({
      detector: 'group-series', ruleId: spec.ruleId, group: g, what: spec.text.what, metric: `${GROUP_METRICS[m]} of the ${g.kind}, summed over ${horizon} buckets`,
      score, observed: total, expected, threshold: expected, horizonBuckets: horizon, windowStart, windowEnd: (lastBucket + 1) * spec.p.bucketMs, bucketMs: spec.p.bucketMs,
      ...sh, carriers, baseline: seriesEvidence(st, spec.p, null), relatedEventIds: ctx.recentEventIds(), kind: 'sustained rise',
    });
  }

  function observe(g: GroupSeries, event: DetectionEvent, ctx: DetectionContext<null>, out: Finding[]): Finding[] {
    out = moveTo(g, Math.max(ctx.bucket, g.openBucket), ctx, out);
    const cb = g.recent[g.recent.length - 1]!;
    contribute(book, cb, ctx.agentId, event.tenantId, values);
    const ownAllowed = ctx.now - g.firstSeen >= learningPeriodMs;
    const list = specs[g.kind];
    for (let m = 0; m < METRIC_COUNT; m++) {
      const v = values[m]!;
      if (v <= 0) continue;
      const st = g.series[m]!;
      const spec = list[m]!;
      touch(st, spec.p, g.openBucket, null, ownAllowed);
      addValue(st, v, spec.p);
      if (!spec.enabled || !(st.upperThreshold > 0 && st.openValue >= thresholdNow(st))) continue;
      // Only a total that several agents carry is the group's (finding.ts); judged before `crossed` marks the band.
      const sh = sharesOver(g, m, 1);
      const start = g.openBucket * spec.p.bucketMs;
      // Members without an alert of their own must carry what takes the total over its threshold.
      const carriers = carriersOf(sh.shares, sh.otherAgents, st.openValue, st.expectedHigh, thresholdNow(st) - st.expectedHigh, spec.th, (a) => ctx.agentAlertedSince(a, start - spec.p.bucketMs));
      if (carriers.length === 0 || !crossed(st, spec.p)) continue;
      const f = groupFinding({
        detector: 'group-series', ruleId: spec.ruleId, group: g, what: spec.text.what, metric: `${GROUP_METRICS[m]} of the ${g.kind} per bucket`,
        score: seriesScore(st, spec.p), observed: st.openValue, expected: st.expectedHigh, threshold: thresholdNow(st), horizonBuckets: 1,
        windowStart: g.openBucket * spec.p.bucketMs, windowEnd: (g.openBucket + 1) * spec.p.bucketMs, bucketMs: spec.p.bucketMs,
        ...sh, carriers, baseline: seriesEvidence(st, spec.p, null), relatedEventIds: ctx.recentEventIds(), kind: 'spike',
      });
      out = out === NO_FINDINGS ? [f] : [...out, f];
    }
    return out;
  }

  return {
    ...groupSeries.identity,
    createState: () => null,
    update(event: DetectionEvent, ctx: DetectionContext<null>): Finding[] {
      values[0] = event.records > 0 ? event.records : 0;
      values[1] = event.bytesOut > 0 ? event.bytesOut : 0;
      values[2] = event.tokens > 0 ? event.tokens : 0;
      values[3] = 1;
      let out: Finding[] = NO_FINDINGS;
      const role = groupFor('role', ctx.agentRole, ctx);
      if (role) out = observe(role, event, ctx, out);
      const tenant = groupFor('tenant', event.tenantId, ctx);
      if (tenant) out = observe(tenant, event, ctx, out);
      return out;
    },
    flush(ctx: DetectionContext<null>): Finding[] {
      // The engine's flush calls it once per agent, all with the same target bucket: every group moves on the first call.
      let out: Finding[] = NO_FINDINGS;
      for (const kind of GROUP_KINDS) {
        for (const g of book[kind].values()) if (g.openBucket >= 0 && g.openBucket < ctx.bucket) out = moveTo(g, ctx.bucket, ctx, out);
      }
      return out;
    },
    snapshot: () => null,
    restore: () => null,
    shared: {
      snapshot: () => snapshotBook(book),
      restore(json: Json) {
        book = restoreBook(json, paramsOf);
      },
      stats: () => ({ groups: book.role.size + book.tenant.size, overflowEvents: book.overflowEvents, overflowContributors: book.overflowContributors }),
    },
  };
}
