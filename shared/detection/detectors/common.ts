/**
 * Helpers shared by the bucketed spike detectors (rate, volume, errors):
 * rules -> series parameters, and a crossed series -> finding.
 */
import { getRule } from '../rules/lookup.js';
import type { RuleDef, RuleId, RuleIdWith, Rules } from '../rules/schema.js';
import type { SpikeThresholds } from '../rules/thresholds.js';
import { NOISE_FLOOR_SHARE, seriesEvidence, seriesScore, type DropVerdict, type SeriesParams, type SeriesState } from '../baseline/series.js';
import type { ShiftVerdict } from '../baseline/shift.js';
import type { AccumulationVerdict } from '../baseline/accumulation.js';
import type { VarianceVerdict } from '../baseline/variance.js';
import type { PeerSeries } from '../baseline/peers.js';
import type { DetectionContext, Finding } from '../types.js';

/** Every rule declared with SpikeThresholds (by its detector's file; nothing to list here). */
type SpikeRuleId = RuleIdWith<typeof SpikeThresholds>;

export interface SeriesShape {
  poisson: boolean;
  /** Spread never below this, in the metric's unit. */
  absSpreadFloor: number;
  seasonal?: boolean;
  /** Volumes: see SeriesParams.singleEventGuard. */
  singleEventGuard?: boolean;
  /**
   * Volumes: keep the long-run noise, floor the spread at NOISE_FLOOR_SHARE of it, and scale the level-bound floors
   * by the series' dispersion (SeriesParams.floorsByDispersion), so a stable metric far from zero is judged in its noise.
   */
  floorsByDispersion?: boolean;
  /** Also judge totals over hours (rules.baseline.accumulation; accumulation.ts). */
  accumulation?: boolean;
  /**
   * Sparse counts (failed logins, denials): judge those totals against a Poisson prior until their own history is
   * trusted (AccumulationParams.poissonPrior), which a failure now and then may take weeks to build. Not for the
   * agent's rate: a busy series is trusted within a day, and before that chained tasks are too bursty for the prior.
   */
  accumulationPrior?: boolean;
  /** Give the role's crew test a reading of this series' last hours (AccumulationParams.crew). */
  crew?: boolean;
}

export function spikeParams(rules: Rules, id: SpikeRuleId, shape: SeriesShape): SeriesParams {
  const rule = getRule(rules, id);
  const th = rule.thresholds;
  const b = rules.baseline;
  const bucketMs = rules.engine.bucketMs;
  return {
    bucketMs,
    windowBuckets: b.windowBuckets,
    warmupBuckets: b.warmupBuckets,
    capZ: b.capZ,
    seasonal: shape.seasonal ?? true,
    seasonalAlpha: b.seasonalAlpha,
    seasonalMinSamples: b.seasonalMinSamples,
    stdShare: b.stdShare,
    relSpreadFloor: b.relSpreadFloor,
    noiseFloorShare: shape.floorsByDispersion ? NOISE_FLOOR_SHARE : 0,
    floorsByDispersion: shape.floorsByDispersion ?? false,
    tailChance: 1e-5,
    varianceTest: false,
    absSpreadFloor: shape.absSpreadFloor,
    poisson: shape.poisson,
    direction: th.direction,
    z: th.z,
    minRatio: th.minRatio,
    minValue: th.minValue,
    alwaysAt: th.alwaysAt ?? Infinity,
    peerZ: th.peerZ ?? 0,
    peerAlpha: b.peerAlpha,
    peerMinSamples: b.peerMinSamples,
    maxFillBuckets: Math.max(b.windowBuckets, Math.ceil((2 * 86_400_000) / bucketMs)),
    singleEventGuard: shape.singleEventGuard ?? false,
    // Half-life of a week: the largest ordinary single event of the last week or so.
    eventMaxDecay: 0.5 ** (bucketMs / (7 * 86_400_000)),
    accumulation: shape.accumulation && b.accumulation.horizonsHours.length > 0 ? { blockBuckets: Math.max(1, Math.round(3_600_000 / bucketMs)), horizonBlocks: b.accumulation.horizonsHours, z: b.accumulation.z, minRatio: b.accumulation.minRatio, floorPerBucket: Math.max(th.minValue, shape.absSpreadFloor), poissonPrior: shape.accumulationPrior === true, crew: shape.crew === true } : null,
  };
}

export function enabledRule<Id extends RuleId>(rules: Rules, id: Id): RuleDef<Id> | null {
  const rule = getRule(rules, id);
  return rule.enabled ? rule : null;
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2));

export interface SpikeFindingText {
  detector: string;
  ruleId: string;
  metric: string;
  /** e.g. "actions", "bytes out", "failed logins". */
  what: string;
  details?: Record<string, string>;
}

/** Build the finding for what a bucket's close found: a drop (direction down or both) or a sustained shift. */
export function dropFinding(drop: DropVerdict, p: SeriesParams, st: SeriesState, ctx: DetectionContext<unknown>, text: SpikeFindingText): Finding {
  if (drop.shift) return shiftFinding(drop, drop.shift, p, st, ctx, text);
  if (drop.accumulation) return accumulationFinding(drop, drop.accumulation, p, st, ctx, text);
  if (drop.variance) return varianceFinding(drop, drop.variance, p, st, ctx, text);
  const bucketMin = Math.round(p.bucketMs / 60_000);
  return {
    detector: text.detector,
    ruleId: text.ruleId,
    score: drop.score,
    title: `${text.what} drop: ${fmt(drop.observed)} in ${bucketMin} min (expected at least ~${fmt(drop.expected)})`,
    description: `Agent ${ctx.agentId} had only ${fmt(drop.observed)} ${text.what} in the ${bucketMin}-minute bucket starting ${new Date(drop.bucket * p.bucketMs).toISOString()}, while its own history for this hour expects ~${fmt(drop.expected)}; the lower alert threshold was ${fmt(drop.threshold)}. An agent that goes quiet when it should be busy may have had its telemetry cut.`,
    metric: text.metric,
    observed: drop.observed,
    baseline: seriesEvidence(st, p, null, ctx.zone),
    windowStart: drop.bucket * p.bucketMs,
    windowEnd: (drop.bucket + 1) * p.bucketMs,
    relatedEventIds: ctx.recentEventIds(),
    details: { direction: 'down', expected: fmt(drop.expected), threshold: fmt(drop.threshold), bucketMs: String(p.bucketMs), ...text.details },
  };
}

/** A shift that no single bucket showed: the evidence is the horizon and the total beyond the expectations. */
function shiftFinding(drop: DropVerdict, shift: ShiftVerdict, p: SeriesParams, st: SeriesState, ctx: DetectionContext<unknown>, text: SpikeFindingText): Finding {
  const minutes = Math.round((shift.horizonBuckets * p.bucketMs) / 60_000);
  const start = (drop.bucket - shift.horizonBuckets + 1) * p.bucketMs;
  const more = shift.side === 'up' ? 'more' : 'fewer';
  return {
    detector: text.detector,
    ruleId: text.ruleId,
    score: shift.score,
    title: `sustained ${shift.side === 'up' ? 'rise' : 'fall'} in ${text.what}: ${fmt(shift.excess)} ${more} than expected over ${minutes} min`,
    description: `Agent ${ctx.agentId} had ${fmt(shift.excess)} ${more} ${text.what} than its own history expects over the ${shift.horizonBuckets} buckets (${minutes} min) from ${new Date(start).toISOString()}, although no single bucket crossed the alert threshold: a shift of ${fmt(shift.excess / shift.horizonBuckets)} per bucket, kept up. It may be a slow exfiltration or burst kept under the per-bucket limit, or a lasting change of workload (the baseline learns a lasting one).`,
    metric: `${text.metric}, summed over ${shift.horizonBuckets} buckets`,
    observed: drop.observed,
    baseline: seriesEvidence(st, p, null, ctx.zone),
    windowStart: start,
    windowEnd: (drop.bucket + 1) * p.bucketMs,
    relatedEventIds: ctx.recentEventIds(),
    details: { direction: shift.side, horizonBuckets: String(shift.horizonBuckets), horizonMinutes: String(minutes), excess: fmt(shift.excess), cusumSpreads: fmt(shift.sum), bucketMs: String(p.bucketMs), ...text.details },
  };
}

/** The noise of a stable series grew far beyond its own at the same level: the evidence is the horizon and the sum. */
function varianceFinding(drop: DropVerdict, rise: VarianceVerdict, p: SeriesParams, st: SeriesState, ctx: DetectionContext<unknown>, text: SpikeFindingText): Finding {
  const start = (drop.bucket - rise.horizonBuckets + 1) * p.bucketMs;
  const minutes = Math.round((rise.horizonBuckets * p.bucketMs) / 60_000);
  return {
    detector: text.detector,
    ruleId: text.ruleId,
    score: drop.score,
    title: `${text.what} vary far more than usual over ${minutes} min (last bucket ${fmt(drop.observed)}, expected up to ~${fmt(drop.expected)})`,
    description: `Agent ${ctx.agentId}'s ${text.what} swung far beyond their usual noise around their usual level over the ${rise.horizonBuckets} buckets from ${new Date(start).toISOString()} (last bucket ${fmt(drop.observed)}, expected up to ~${fmt(drop.expected)}), with no single bucket a spike: a stable series that turns erratic, as a failing dependency or a flapping job makes it.`,
    metric: `${text.metric}, squared deviations over ${rise.horizonBuckets} buckets`,
    observed: drop.observed,
    baseline: seriesEvidence(st, p, null, ctx.zone),
    windowStart: start,
    windowEnd: (drop.bucket + 1) * p.bucketMs,
    relatedEventIds: ctx.recentEventIds(),
    details: { direction: 'both', horizonBuckets: String(rise.horizonBuckets), horizonMinutes: String(minutes), varianceSum: fmt(rise.sum), bucketMs: String(p.bucketMs), ...text.details },
  };
}

/** A total over hours far above the expected total: the evidence is the window, both totals and their ratio. */
function accumulationFinding(drop: DropVerdict, total: AccumulationVerdict, p: SeriesParams, st: SeriesState, ctx: DetectionContext<unknown>, text: SpikeFindingText): Finding {
  const start = (drop.bucket - total.buckets + 1) * p.bucketMs;
  const end = (drop.bucket + 1) * p.bucketMs;
  const hours = (end - start) / 3_600_000;
  const span = `${hours.toFixed(hours < 10 ? 1 : 0)} h`;
  return {
    detector: text.detector,
    ruleId: text.ruleId,
    score: drop.score,
    title: `${text.what} accumulated over ${span}: ${fmt(total.total)} (expected ~${fmt(total.expectedTotal)}, ${fmt(total.ratio)}x)`,
    description: `Agent ${ctx.agentId} reached ${fmt(total.total)} ${text.what} over the ${total.buckets} buckets (${span}) from ${new Date(start).toISOString()}, ${fmt(total.ratio)}x the ~${fmt(total.expectedTotal)} its own history expects for those hours, although no single bucket crossed the alert threshold. It may be an exfiltration or a credential attack paced under the per-bucket limit, or a lasting change of workload (the baseline then learns it).`,
    metric: `${text.metric}, summed over ${span}`,
    observed: total.total,
    baseline: seriesEvidence(st, p, null, ctx.zone),
    windowStart: start,
    windowEnd: end,
    relatedEventIds: ctx.recentEventIds(),
    details: { direction: 'up', horizonHours: String(total.horizonBlocks), horizonBuckets: String(total.buckets), expectedTotal: fmt(total.expectedTotal), ratio: fmt(total.ratio), ratioZ: fmt(total.z), bucketMs: String(p.bucketMs), ...text.details },
  };
}

/** Build the finding for a series that just crossed its threshold. */
export function spikeFinding(st: SeriesState, p: SeriesParams, peer: PeerSeries | null, ctx: DetectionContext<unknown>, text: SpikeFindingText): Finding {
  const baseline = seriesEvidence(st, p, peer, ctx.zone);
  const bucketMin = Math.round(p.bucketMs / 60_000);
  const versus = st.source === 2 ? `its role (${ctx.agentRole}) while it is new, at its own scale` : st.source === 1 ? 'its own history for this hour' : 'the absolute limit';
  const expected = st.source === 0 ? 0 : st.expectedHigh;
  const threshold = st.source === 0 || !(st.upperThreshold > 0 && Number.isFinite(st.upperThreshold)) ? p.alwaysAt : st.upperThreshold;
  const x = st.openValue;
  return {
    detector: text.detector,
    ruleId: text.ruleId,
    score: seriesScore(st, p),
    title: `${text.what} spike: ${fmt(x)} in ${bucketMin} min (expected ~${fmt(expected)})`,
    description: `Agent ${ctx.agentId} reached ${fmt(x)} ${text.what} in the ${bucketMin}-minute bucket starting ${new Date(st.openBucket * p.bucketMs).toISOString()}, against ~${fmt(expected)} expected from ${versus}; the alert threshold was ${fmt(threshold)}.`,
    metric: text.metric,
    observed: x,
    baseline,
    windowStart: st.openBucket * p.bucketMs,
    windowEnd: (st.openBucket + 1) * p.bucketMs,
    relatedEventIds: ctx.recentEventIds(),
    details: { direction: 'up', expected: fmt(expected), threshold: fmt(threshold), bucketMs: String(p.bucketMs), ...text.details },
  };
}
