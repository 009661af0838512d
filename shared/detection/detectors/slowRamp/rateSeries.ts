/**
 * slow-ramp.rate: actions per bucket, log((x + 1) / (expected + 1)) against the agent's profile
 * for that hour (hour of day x weekday / weekend, slow EWMA, ±1-hour envelope). The profile
 * learns each bucket PROFILE_DELAY buckets late, capped, and no higher than expected while a rise
 * alarms, so a ramp is judged before its first buckets can reach its reference; an hour is judged only
 * on its own day class's profile (a first weekday after a weekend of learning is not). Noise: Poisson
 * plus an over-dispersion learned in the agent's flat hours, and at least what the hour itself
 * shows upwards (its upper semivariance: a nightly job's burst is not a ramp). Only the agent's
 * active hours (>= ACTIVE_SHARE of its busiest) are judged.
 */
import { newDrift } from '../../baseline/drift.js';
import { ewmaMean, ewmaWeight } from '../../baseline/ewma.js';
import { roundSig } from '../../baseline/robust.js';
import { SEASON_SLOTS, answeringSlot, envelopeHigh, neighbourAfter, neighbourBefore } from '../../baseline/seasonal.js';
import { otherClassSlot, seasonSlot } from '../../time.js';
import type { DetectionContext, Finding } from '../../types.js';
import type { RampConfig } from './config.js';
import { DELAY_LINE, NO_PENDING_ACCEPT, PROFILE_COUNTS, PROFILE_DELAY, PROFILE_MEANS, RATE_DATA_LENGTH, UPPER_SEMIVARIANCES, type RampState, type RateSeries } from './state.js';
import type { RampThresholdValues } from './thresholds.js';
import { judgeTrend, pushTrend, trendScore } from './trend.js';

/** Learned counts are capped at expected x exp(this many noise sds). */
const RAMP_CAP_Z = 1;
/** While the drift z is at least this, the noise estimates (over-dispersion, upper semivariance) learn nothing. */
const SUSPECT_Z = 2;
/**
 * A legitimate new normal (a deploy doubles the workload): an alarm opens a stretch of this many buckets (3 h)
 * counted where the hour's own profile is flat (the envelope at most FLAT_RATIO above it: where the day climbs
 * or falls, a day that starts an hour early or late reads far from the profile either way). When the level of
 * its last hour (summed counts over summed profile) is at least MIN_ACCEPT_RATIO and within HOLD_FACTOR of its
 * first hour's, the whole profile is rescaled to the two hours' level (at most MAX_ACCEPT_RATIO) and the drift
 * test starts again: a lasting new level costs one alert, not one every morning while each hour's slot learns
 * it at the capped rate. Sums, not the mean log-residual against the shift-tolerant envelope over a half hour,
 * which read a doubled workload as 1.2x or as fallen back (issue 11). While the stretch runs the alarm stays
 * fired (no second alert, the profile learns nothing above expectation); a ramp that ended and fell back, or
 * is still rising, is not accepted and teaches nothing.
 */
const ACCEPT_BUCKETS = 36;
const MAX_ACCEPT_RATIO = 4;
/** A rise that alarms is at least ~1.5x (minSlope over minRunBuckets); an ended one is back near 1 by the stretch's end. */
const MIN_ACCEPT_RATIO = 1.4;
/** The stretch's first and last this many buckets (1 h each) are compared. */
const ACCEPT_PART_BUCKETS = 12;
/**
 * The last hour's level may differ from the first's by at most this factor, either way: a live ramp climbs on
 * (+3.5%/bucket is 2.3x over the 24 buckets between them), a spent one falls back (one whose last bucket is
 * still in the last hour reads ~1.4x there against ~2.2x in the first).
 */
const HOLD_FACTOR = 1.5;
/** Hours whose profile is below this share of the busiest hour are not judged (off-hours has them). */
const ACTIVE_SHARE = 0.25;
/** The over-dispersion is learned only where the shift-tolerant envelope is at most this much above the hour's own profile. */
const FLAT_RATIO = 1.2;
/** Prior and EWMA weight of the count over-dispersion. */
const KAPPA2_PRIOR = 0.09;
const KAPPA2_ALPHA = 0.02;
/** Upper semivariance: clip of the log-residual and EWMA weight. */
const UPPER_CLIP = 1.5;
const UPPER_ALPHA = 0.05;

/**
 * A learned value of the profile (a mean or an upper semivariance), as learned: the array is float32 and every
 * such value was written through roundSig, which gives it back exactly below 1,024 (baseline/window.ts says why;
 * a slot mean above 1,024 actions per bucket is read within float32's 6e-8 of it). Counts and the delay line
 * hold integers, exact in float32 below 2^24.
 */
function learned(data: Float32Array, at: number): number {
  return roundSig(data[at]!);
}

/** The profile's shift-tolerant expectation (roundSig is monotonic: rounding the chosen slot is choosing among rounded slots). */
function envelopeOf(data: Float32Array, minSamples: number, slot: number): number {
  return roundSig(envelopeHigh(data, data, minSamples, slot, PROFILE_MEANS, PROFILE_COUNTS));
}

export function createRateSeries(): RateSeries {
  return { data: new Float32Array(RATE_DATA_LENGTH), openCount: 0, delayFill: 0, delayHead: 0, overDispersion: KAPPA2_PRIOR, peakLevel: 0, peakHour: -1, drift: newDrift(), ...NO_PENDING_ACCEPT };
}

/** Close the count series' bucket. */
export function closeRate(cfg: RampConfig, th: RampThresholdValues, series: RateSeries, bucket: number, count: number, ctx: DetectionContext<RampState>): Finding | null {
  const data = series.data;
  const slot = seasonSlot(bucket * cfg.bucketMs, ctx.zone);
  // The slot's own profile, else the same hour in the other day class (a first weekend), else none yet.
  // Only the own class is judged: the other class stands in for learning and for the active-hours test, but a
  // weekday read against a weekend (a new agent that learned on a Saturday) looks like a ramp all morning, and a
  // weekend against weekdays hides one. A class is judged from its first hour with enough samples.
  const answering = answeringSlot(data, cfg.seasonalMinSamples, slot, PROFILE_COUNTS);
  const ownSlot = answering === slot;
  let finding: Finding | null = null;
  let judged = false;
  if (answering >= 0) {
    const center = learned(data, PROFILE_MEANS + answering);
    // Shift-tolerant: the highest of this hour and its neighbours, so an early morning is no ramp.
    const expected = envelopeOf(data, cfg.seasonalMinSamples, slot);
    const active = center >= ACTIVE_SHARE * peakOf(cfg, series, bucket);
    const upper = upperEnvelope(data, ownSlot ? slot : otherClassSlot(slot));
    const sd = Math.sqrt(Math.max(1 / (expected + 1) + Math.max(series.overDispersion, cfg.overDispersionFloor), 2 * upper));
    const residual = Math.log((count + 1) / (expected + 1));
    judged = ownSlot && active && expected >= th.minLevel && !ctx.learning;
    const accepting = series.acceptRun > 0;
    if (judged && judgeTrend(series.drift, residual / sd, 1 / sd, th, cfg.trend, accepting)) {
      finding = rateFinding(cfg, th, bucket, count, expected, sd, data[PROFILE_COUNTS + slot]!, ctx);
      acceptNewNormal(series, count, center);
    } else if (judged && accepting && ownSlot && expected <= FLAT_RATIO * center) acceptNewNormal(series, count, center);
    if (series.drift.anyZ < SUSPECT_Z && ownSlot) {
      const up = Math.min(UPPER_CLIP, Math.max(0, residual));
      const weight = ewmaWeight(UPPER_ALPHA, data[PROFILE_COUNTS + slot]!);
      data[UPPER_SEMIVARIANCES + slot] = roundSig(ewmaMean(learned(data, UPPER_SEMIVARIANCES + slot), up * up, weight));
      if (judged && expected <= FLAT_RATIO * center) {
        const excess = Math.min(residual * residual - 1 / (expected + 1), 4 * sd * sd);
        series.overDispersion = roundSig(Math.max(0, ewmaMean(series.overDispersion, excess, KAPPA2_ALPHA)));
      }
    }
  }
  if (!judged) pushTrend(series.drift, 0, 0, th.windowBuckets);
  learnProfile(cfg, th, series, bucket, count, ctx);
  return finding;
}

/** The largest upper semivariance of a slot and its two neighbours (same day class). */
function upperEnvelope(data: Float32Array, slot: number): number {
  return Math.max(learned(data, UPPER_SEMIVARIANCES + slot), learned(data, UPPER_SEMIVARIANCES + neighbourBefore(slot)), learned(data, UPPER_SEMIVARIANCES + neighbourAfter(slot)));
}

/** Busiest slot of the profile; recomputed once per hour of event time (it moves slowly). */
function peakOf(cfg: RampConfig, series: RateSeries, bucket: number): number {
  const hour = Math.floor((bucket * cfg.bucketMs) / 3_600_000);
  if (series.peakHour === hour) return series.peakLevel;
  const data = series.data;
  let peak = 0;
  for (let j = 0; j < SEASON_SLOTS; j++) if (data[PROFILE_COUNTS + j]! >= cfg.seasonalMinSamples && learned(data, PROFILE_MEANS + j) > peak) peak = learned(data, PROFILE_MEANS + j);
  series.peakHour = hour;
  series.peakLevel = peak;
  return peak;
}

/**
 * One bucket of the stretch an alarm opened (the alarm's own bucket first): in the stretch's first or last
 * hour, its count and its hour's profile are summed; at the end, a level that holds becomes the profile's.
 */
function acceptNewNormal(series: RateSeries, count: number, expected: number): void {
  if (series.acceptRun < ACCEPT_PART_BUCKETS) {
    series.acceptEarlyCount += count;
    series.acceptEarlyExpected += expected;
  } else if (series.acceptRun >= ACCEPT_BUCKETS - ACCEPT_PART_BUCKETS) {
    series.acceptLateCount += count;
    series.acceptLateExpected += expected;
  }
  series.acceptRun++;
  if (series.acceptRun < ACCEPT_BUCKETS) return;
  const earlyRatio = (series.acceptEarlyCount + 1) / (series.acceptEarlyExpected + 1);
  const lateRatio = (series.acceptLateCount + 1) / (series.acceptLateExpected + 1);
  // The level of both hours together: one hour alone moves with the day's shape (a day that starts early ends early).
  const level = (series.acceptEarlyCount + series.acceptLateCount + 1) / (series.acceptEarlyExpected + series.acceptLateExpected + 1);
  Object.assign(series, NO_PENDING_ACCEPT);
  if (lateRatio < MIN_ACCEPT_RATIO || lateRatio * HOLD_FACTOR < earlyRatio || lateRatio > HOLD_FACTOR * earlyRatio) return;
  // The delay line already holds counts at the new level (the stretch is longer than the line): not rescaled.
  const scale = Math.min(MAX_ACCEPT_RATIO, level);
  const data = series.data;
  for (let j = 0; j < SEASON_SLOTS; j++) data[PROFILE_MEANS + j] = roundSig(learned(data, PROFILE_MEANS + j) * scale);
  series.drift = newDrift();
}

/**
 * The hour profile learns each bucket PROFILE_DELAY buckets late, capped against the expectation
 * for it: a ramp has been judged (and, if it alarmed, is learned no higher than expected) before
 * its first buckets reach the profile it is judged against. A slot still judged on the other day
 * class's profile (a first weekend) learns nothing above that expectation either.
 */
function learnProfile(cfg: RampConfig, th: RampThresholdValues, series: RateSeries, bucket: number, count: number, ctx: DetectionContext<RampState>): void {
  const data = series.data;
  if (series.delayFill < PROFILE_DELAY) {
    data[DELAY_LINE + series.delayFill] = count;
    series.delayFill++;
    series.delayHead = series.delayFill % PROFILE_DELAY;
    return;
  }
  let value = data[DELAY_LINE + series.delayHead]!;
  data[DELAY_LINE + series.delayHead] = count;
  series.delayHead = (series.delayHead + 1) % PROFILE_DELAY;
  const slot = seasonSlot((bucket - PROFILE_DELAY) * cfg.bucketMs, ctx.zone);
  const minSamples = cfg.seasonalMinSamples;
  if (!ctx.learning) {
    const answering = answeringSlot(data, minSamples, slot, PROFILE_COUNTS);
    if (answering >= 0) {
      const ref = envelopeOf(data, minSamples, slot);
      if (series.drift.fired || series.drift.anyZ >= th.h || answering !== slot) value = Math.min(value, ref);
      else value = Math.min(value, (ref + 1) * Math.exp(RAMP_CAP_Z * Math.sqrt(1 / (ref + 1) + Math.max(series.overDispersion, cfg.overDispersionFloor))) - 1);
    }
  }
  const samples = data[PROFILE_COUNTS + slot]!;
  data[PROFILE_MEANS + slot] = roundSig(ewmaMean(learned(data, PROFILE_MEANS + slot), value, ewmaWeight(cfg.seasonalAlpha, samples)));
  if (samples < minSamples || samples < 1 / cfg.seasonalAlpha) data[PROFILE_COUNTS + slot] = samples + 1;
}

function rateFinding(cfg: RampConfig, th: RampThresholdValues, bucket: number, count: number, expected: number, sd: number, samples: number, ctx: DetectionContext<RampState>): Finding {
  const trend = cfg.trend;
  const n = trend.runBuckets;
  const pct = (Math.exp(trend.slope) - 1) * 100;
  const ratio = Math.exp(trend.slope * n);
  return {
    detector: 'slow-ramp',
    ruleId: 'slow-ramp.rate',
    score: trendScore(trend, th.h),
    title: `Slow ramp in actions per bucket: +${pct.toFixed(1)}%/bucket for ${n} buckets (now ~${ratio.toFixed(2)}x the usual level)`,
    description: `Agent ${ctx.agentId}'s actions per bucket have been climbing steadily for ${n} buckets, about ${pct.toFixed(1)}% per bucket above its usual level for these hours (last bucket ${count.toFixed(0)} against ${expected.toFixed(1)} expected; trend z ${trend.z.toFixed(1)}). A steady rise like this is what a rolling baseline would learn as normal: possible baseline poisoning or a slowly escalating abuse.`,
    metric: 'count(*) per bucket (ramp)',
    observed: count,
    baseline: { mean: roundSig(expected), std: roundSig(expected * (Math.exp(sd) - 1)), median: null, mad: null, sampleSize: samples, source: 'agent' },
    windowStart: (bucket - n + 1) * cfg.bucketMs,
    windowEnd: (bucket + 1) * cfg.bucketMs,
    relatedEventIds: ctx.recentEventIds(),
    details: { series: 'count(*)', runBuckets: String(n), slopePerBucket: `${pct.toFixed(2)}%`, rampRatio: ratio.toFixed(3), trendZ: trend.z.toFixed(2), noiseSd: sd.toFixed(3), expected: expected.toFixed(2) },
    // While the stretch that may accept the new level runs, the change's other sides join this alert.
    holdIncidentMs: ACCEPT_BUCKETS * cfg.bucketMs,
  };
}
