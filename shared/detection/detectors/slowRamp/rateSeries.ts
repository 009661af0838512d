/**
 * slow-ramp.rate: actions per bucket, log((x + 1) / (expected + 1)) against the agent's profile
 * for that hour (hour of day x weekday / weekend, slow EWMA, ±1-hour envelope). The profile
 * learns each bucket PROFILE_DELAY buckets late, capped, and no higher than expected while a rise
 * alarms, so a ramp is judged before its first buckets can reach its reference. Noise: Poisson
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
import { DELAY_LINE, PROFILE_COUNTS, PROFILE_DELAY, PROFILE_MEANS, RATE_DATA_LENGTH, UPPER_SEMIVARIANCES, type RampState, type RateSeries } from './state.js';
import type { RampThresholdValues } from './thresholds.js';
import { judgeTrend, pushTrend, trendScore } from './trend.js';

/** Learned counts are capped at expected x exp(this many noise sds). */
const RAMP_CAP_Z = 1;
/** While the drift z is at least this, the noise estimates (over-dispersion, upper semivariance) learn nothing. */
const SUSPECT_Z = 2;
/**
 * A legitimate new normal (a deploy doubles the workload): after an alarm, when the level over the next this
 * many judged buckets (3 h) holds (its last half hour still at least MIN_ACCEPT_RATIO above the profile and
 * not fallen back from the rest), the whole profile is rescaled to it (at most MAX_ACCEPT_RATIO) and the drift
 * test starts again. A lasting new level thus costs one alert, not one every day while each hour's slot learns
 * it at the capped rate; a ramp that keeps rising alarms again.
 */
const ACCEPT_BUCKETS = 36;
const MAX_ACCEPT_RATIO = 4;
const MIN_ACCEPT_RATIO = 1.2;
/** The level at the end of the stretch: its last this many judged buckets (30 min). */
const ACCEPT_TAIL_BUCKETS = 6;
/** The level at the end may be at most this factor below the rest of the stretch's. */
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

export function createRateSeries(): RateSeries {
  return { data: new Float64Array(RATE_DATA_LENGTH), openCount: 0, delayFill: 0, delayHead: 0, overDispersion: KAPPA2_PRIOR, peakLevel: 0, peakHour: -1, drift: newDrift(), acceptRun: 0, acceptSum: 0, acceptLateSum: 0 };
}

/** Close the count series' bucket. */
export function closeRate(cfg: RampConfig, th: RampThresholdValues, series: RateSeries, bucket: number, count: number, ctx: DetectionContext<RampState>): Finding | null {
  const data = series.data;
  const slot = seasonSlot(bucket * cfg.bucketMs, cfg.tzOffsetMs);
  // The slot's own profile, else the same hour in the other day class (a first weekend), else none yet.
  const answering = answeringSlot(data, cfg.seasonalMinSamples, slot, PROFILE_COUNTS);
  const ownSlot = answering === slot;
  let finding: Finding | null = null;
  let judged = false;
  if (answering >= 0) {
    const center = data[PROFILE_MEANS + answering]!;
    // Shift-tolerant: the highest of this hour and its neighbours, so an early morning is no ramp.
    const expected = envelopeHigh(data, data, cfg.seasonalMinSamples, slot, PROFILE_MEANS, PROFILE_COUNTS);
    const active = center >= ACTIVE_SHARE * peakOf(cfg, series, bucket);
    const upper = upperEnvelope(data, ownSlot ? slot : otherClassSlot(slot));
    const sd = Math.sqrt(Math.max(1 / (expected + 1) + Math.max(series.overDispersion, cfg.overDispersionFloor), 2 * upper));
    const residual = Math.log((count + 1) / (expected + 1));
    judged = active && expected >= th.minLevel && !ctx.learning;
    if (judged && judgeTrend(series.drift, residual / sd, 1 / sd, th, cfg.trend)) {
      finding = rateFinding(cfg, th, bucket, count, expected, sd, data[PROFILE_COUNTS + slot]!, ctx);
      series.acceptRun = 1;
      series.acceptSum = residual;
      series.acceptLateSum = 0;
    } else if (judged && series.acceptRun > 0) acceptNewNormal(series, residual);
    if (series.drift.s < SUSPECT_Z && ownSlot) {
      const up = Math.min(UPPER_CLIP, Math.max(0, residual));
      const weight = ewmaWeight(UPPER_ALPHA, data[PROFILE_COUNTS + slot]!);
      data[UPPER_SEMIVARIANCES + slot] = roundSig(ewmaMean(data[UPPER_SEMIVARIANCES + slot]!, up * up, weight));
      if (judged && expected <= FLAT_RATIO * center) {
        const excess = Math.min(residual * residual - 1 / (expected + 1), 4 * sd * sd);
        series.overDispersion = roundSig(Math.max(0, ewmaMean(series.overDispersion, excess, KAPPA2_ALPHA)));
      }
    }
  }
  if (!judged) pushTrend(series.drift, 0, 0, th.windowBuckets);
  learnProfile(cfg, th, series, bucket, count, ctx.learning);
  return finding;
}

/** The largest upper semivariance of a slot and its two neighbours (same day class). */
function upperEnvelope(data: Float64Array, slot: number): number {
  return Math.max(data[UPPER_SEMIVARIANCES + slot]!, data[UPPER_SEMIVARIANCES + neighbourBefore(slot)]!, data[UPPER_SEMIVARIANCES + neighbourAfter(slot)]!);
}

/** Busiest slot of the profile; recomputed once per hour of event time (it moves slowly). */
function peakOf(cfg: RampConfig, series: RateSeries, bucket: number): number {
  const hour = Math.floor((bucket * cfg.bucketMs) / 3_600_000);
  if (series.peakHour === hour) return series.peakLevel;
  const data = series.data;
  let peak = 0;
  for (let j = 0; j < SEASON_SLOTS; j++) if (data[PROFILE_COUNTS + j]! >= cfg.seasonalMinSamples && data[PROFILE_MEANS + j]! > peak) peak = data[PROFILE_MEANS + j]!;
  series.peakHour = hour;
  series.peakLevel = peak;
  return peak;
}

/**
 * After an alarm: over the next ACCEPT_BUCKETS judged buckets, the level the agent now works at. When its
 * last ACCEPT_TAIL_BUCKETS are still at least MIN_ACCEPT_RATIO above the profile and not more than HOLD_FACTOR
 * below the rest of it, the profile is rescaled to that last level. A ramp that ended and fell back fails the
 * end, so it teaches nothing (the same ramp tomorrow is caught as early); a level that holds is the new normal.
 */
function acceptNewNormal(series: RateSeries, residual: number): void {
  series.acceptRun++;
  series.acceptSum += residual;
  if (series.acceptRun > ACCEPT_BUCKETS - ACCEPT_TAIL_BUCKETS) series.acceptLateSum += residual;
  if (series.acceptRun < ACCEPT_BUCKETS) return;
  const earlyRatio = Math.exp((series.acceptSum - series.acceptLateSum) / (ACCEPT_BUCKETS - ACCEPT_TAIL_BUCKETS));
  const lateRatio = Math.exp(series.acceptLateSum / ACCEPT_TAIL_BUCKETS);
  series.acceptRun = 0;
  series.acceptSum = 0;
  series.acceptLateSum = 0;
  // A new normal holds: up at the end, and not fallen far from where it was (a spent ramp falls back).
  if (lateRatio < MIN_ACCEPT_RATIO || lateRatio * HOLD_FACTOR < earlyRatio) return;
  const scale = Math.min(MAX_ACCEPT_RATIO, lateRatio);
  const data = series.data;
  for (let j = 0; j < SEASON_SLOTS; j++) data[PROFILE_MEANS + j] = roundSig(data[PROFILE_MEANS + j]! * scale);
  for (let k = 0; k < series.delayFill; k++) data[DELAY_LINE + k] = data[DELAY_LINE + k]! * scale;
  series.drift = newDrift();
  series.peakHour = -1;
}

/**
 * The hour profile learns each bucket PROFILE_DELAY buckets late, capped against the expectation
 * for it: a ramp has been judged (and, if it alarmed, is learned no higher than expected) before
 * its first buckets reach the profile it is judged against. A slot still judged on the other day
 * class's profile (a first weekend) learns nothing above that expectation either.
 */
function learnProfile(cfg: RampConfig, th: RampThresholdValues, series: RateSeries, bucket: number, count: number, learning: boolean): void {
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
  const slot = seasonSlot((bucket - PROFILE_DELAY) * cfg.bucketMs, cfg.tzOffsetMs);
  const minSamples = cfg.seasonalMinSamples;
  if (!learning) {
    const answering = answeringSlot(data, minSamples, slot, PROFILE_COUNTS);
    if (answering >= 0) {
      const ref = envelopeHigh(data, data, minSamples, slot, PROFILE_MEANS, PROFILE_COUNTS);
      if (series.drift.f || series.drift.s >= th.h || answering !== slot) value = Math.min(value, ref);
      else value = Math.min(value, (ref + 1) * Math.exp(RAMP_CAP_Z * Math.sqrt(1 / (ref + 1) + Math.max(series.overDispersion, cfg.overDispersionFloor))) - 1);
    }
  }
  const samples = data[PROFILE_COUNTS + slot]!;
  data[PROFILE_MEANS + slot] = roundSig(ewmaMean(data[PROFILE_MEANS + slot]!, value, ewmaWeight(cfg.seasonalAlpha, samples)));
  if (samples < minSamples || samples < 1 / cfg.seasonalAlpha) data[PROFILE_COUNTS + slot] = samples + 1;
}

function rateFinding(cfg: RampConfig, th: RampThresholdValues, bucket: number, count: number, expected: number, sd: number, samples: number, ctx: DetectionContext<RampState>): Finding {
  const trend = cfg.trend;
  const n = trend.n;
  const pct = (Math.exp(trend.slope) - 1) * 100;
  const ratio = Math.exp(trend.slope * n);
  return {
    detector: 'slow-ramp',
    ruleId: 'slow-ramp.rate',
    score: trendScore(trend, th.h),
    title: `Slow ramp in actions per bucket: +${pct.toFixed(1)}%/bucket for ${n} buckets (now ~${ratio.toFixed(2)}x the usual level)`,
    description: `Agent ${ctx.agentId}'s actions per bucket have been climbing steadily for ${n} buckets, about ${pct.toFixed(1)}% per bucket above its usual level for these hours (last bucket ${count.toFixed(0)} against ${expected.toFixed(1)} expected; trend z ${trend.s.toFixed(1)}). A steady rise like this is what a rolling baseline would learn as normal: possible baseline poisoning or a slowly escalating abuse.`,
    metric: 'count(*) per bucket (ramp)',
    observed: count,
    baseline: { mean: roundSig(expected), std: roundSig(expected * (Math.exp(sd) - 1)), median: null, mad: null, sampleSize: samples, source: 'agent' },
    windowStart: (bucket - n + 1) * cfg.bucketMs,
    windowEnd: (bucket + 1) * cfg.bucketMs,
    relatedEventIds: ctx.recentEventIds(),
    details: { series: 'count(*)', runBuckets: String(n), slopePerBucket: `${pct.toFixed(2)}%`, rampRatio: ratio.toFixed(3), trendZ: trend.s.toFixed(2), noiseSd: sd.toFixed(3), expected: expected.toFixed(2) },
  };
}
