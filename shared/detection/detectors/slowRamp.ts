/**
 * Slow ramp (baseline poisoning): a value that climbs a few percent per
 * bucket never looks like a spike, and a rolling baseline follows it. This is
 * the long-vs-short window check: the long window is a reference the ramp
 * cannot move quickly, the short one the last `windowBuckets` closed buckets,
 * in which a drift test (baseline/drift.ts) looks for a straight rise: it
 * alerts when the rise's z reaches `h`, it has lasted `minRunBuckets` and its
 * slope is at least `minSlope` (log units per bucket). Each bucket's
 * standardised residual counts at most `zCap`.
 *
 * Two signals, judged at bucket close:
 * - slow-ramp.rate: actions per bucket, log((x + 1) / (expected + 1)), where
 *   expected is the agent's profile for that hour (hour of day x weekday /
 *   weekend, slow EWMA, shift-tolerant envelope). The profile learns each
 *   bucket PROFILE_DELAY buckets late, capped, and no higher than expected
 *   while a rise alarms, so a ramp is judged before its first buckets can
 *   reach its reference. Noise: Poisson plus an over-dispersion learned in the
 *   agent's flat hours, and at least what the hour itself shows upwards (its
 *   upper semivariance: a nightly job's burst is not a ramp). Only the agent's
 *   active hours (>= ACTIVE_SHARE of its busiest) are judged.
 * - slow-ramp.volume: records, bytes out and tokens *per event*. Each event's
 *   log size is compared with the usual size of its action (EWMA mean and
 *   variance of log size), pooled per bucket with precision weights, minus
 *   what that hour of the day usually shows (a nightly batch job's big reads;
 *   learned once per hour over days, used from the next day). Per-event
 *   sizes do not carry the noise of a bucket's event count, which per-bucket
 *   sums do, so a 5%-per-bucket ramp shows within 9-22 buckets even in
 *   heavy-tailed series (labelled scenario).
 *
 * Poisoning resistance: learned values are clipped, the count profile learns
 * late and not above expectation while alarmed, the per-action sizes learn at
 * most SIZE_ALPHA_BUCKET per bucket and not upwards while alarmed, the
 * hour-of-day size correction learns a day late. State: a few hundred rounded
 * numbers per agent (about 5 KB of JSON).
 */
import type { Rules } from '../rules/schema.js';
import { roundSig } from '../baseline/robust.js';
import { SEASON_SLOTS, envelopeHigh } from '../baseline/seasonal.js';
import { evalDrift, newDrift, pushDrift, restoreDrift, snapshotDrift, type DriftResult, type DriftState } from '../baseline/drift.js';
import { otherClassSlot, seasonSlot } from '../time.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { enabledRule } from './common.js';
import { defineDetector, rule } from './define.js';
import { positiveInt } from '../rules/thresholds.js';
import { z } from 'zod';

export const RampThresholds = z
  .object({
    /** Alarm level of the drift test: z score of the rise's slope (a standard normal when nothing rises). */
    h: z.number().positive(),
    /** Each bucket's standardised residual counts at most this much (one burst cannot pass for a ramp). */
    zCap: z.number().positive(),
    /** The fitted rise must be at least this steep, in log units per bucket (0.02 = about +2% per bucket): a level that sits a little high is not a ramp. */
    minSlope: z.number().min(0),
    /** The rise must have lasted this many buckets (a batch job is a step, not a ramp). */
    minRunBuckets: positiveInt,
    /** Longest rise looked at, in buckets (the drift test's short window). */
    windowBuckets: z.number().int().min(2).max(288),
    /** Rate: ignore buckets whose expected count is below this (too little signal). Volume: unused. */
    minLevel: z.number().min(0),
    /** Noise floor, a standard deviation in log units. Rate: of a bucket's count beyond Poisson. Volume: of one event's size. */
    minDispersion: z.number().positive(),
  })
  .strict()
  .refine((t) => t.minRunBuckets <= t.windowBuckets, { message: 'minRunBuckets must not exceed windowBuckets', path: ['minRunBuckets'] });

export const slowRamp = defineDetector({
  name: 'slow-ramp',
  acceptsUnverified: false,
  rules: {
    'slow-ramp.rate': rule(RampThresholds, {
      description: "The agent's activity climbs steadily above its usual level for this hour: a slow ramp that would teach the baseline that abuse is normal.",
      severity: 'MEDIUM',
      tags: ['owasp-llm:LLM04', 'atlas:AML.T0031', 'atlas:AML.T0015'],
      thresholds: { h: 4, zCap: 3, minSlope: 0.035, minRunBuckets: 12, windowBuckets: 30, minLevel: 3, minDispersion: 0.1 },
    }),
    'slow-ramp.volume': rule(RampThresholds, {
      description: 'Records, bytes out or tokens per event climb steadily above the usual size for the same actions (slow exfiltration / baseline poisoning).',
      severity: 'MEDIUM',
      tags: ['owasp-llm:LLM04', 'atlas:AML.T0031', 'atlas:AML.T0025'],
      thresholds: { h: 4.5, zCap: 2, minSlope: 0.02, minRunBuckets: 8, windowBuckets: 30, minLevel: 0, minDispersion: 0.25 },
    }),
  },
  create: createSlowRampDetector,
});

export interface RateSeries {
  /** Open bucket's count. */
  x: number;
  /** Seasonal means and sample counts (hour of day x weekday/weekend). */
  sm: number[];
  sc: number[];
  /** Upper semivariance of the log-residual per slot: how far above its profile this hour normally goes. */
  su: number[];
  /** Delay line in front of the profile (ring of counts, next write at ph2). */
  pd: number[];
  ph2: number;
  /** Over-dispersion: variance of the log-residual beyond Poisson, learned in flat active hours. */
  k2: number;
  /** Cached busiest-hour profile value, and the hour it was computed in. */
  pk: number;
  ph: number;
  g: DriftState;
  /** A new normal: judged buckets since the last alarm (0: none pending), and the sum of their log-residuals. */
  acceptRun: number;
  acceptSum: number;
  /** The same sum over the stretch's last ACCEPT_TAIL_BUCKETS (is the level still up at its end?). */
  acceptLateSum: number;
}

export interface SizeSeries {
  /** Open bucket: sum of precision-weighted log-size residuals, sum of precisions, sum of values. */
  a: number;
  p: number;
  x: number;
  /**
   * Per hour of day, learned once per hour from that hour's buckets (EWMA over days): mean bucket
   * residual, mean of (residual^2 - its sampling variance), hours learned. What is learned today
   * (pm, pv) is used from tomorrow on: a ramp cannot become today's reference.
   */
  hm: number[];
  hv: number[];
  hc: number[];
  pm: number[];
  pv: number[];
  /** The hour being accumulated (local hours since the epoch; -1: none), its buckets, sums of residual and of residual^2 - sampling variance, and whether the series alarmed in it. */
  oh: number;
  on: number;
  o1: number;
  o2: number;
  ot: number;
  /**
   * Per action (index into RampState.acts): mean and variance of log(value), samples (capped); and
   * the open bucket's events of the action: count, sum and sum of squares of their (clipped) residuals.
   */
  am: number[];
  av: number[];
  ac: number[];
  bn: number[];
  bs: number[];
  bq: number[];
  /** Derived from av (not serialised): 1 / variance (floored) and the clip of a residual, per action. */
  iv: number[];
  lim: number[];
  g: DriftState;
}

export interface RampState {
  /** Open bucket. */
  b: number;
  rate: RateSeries;
  size: [SizeSeries, SizeSeries, SizeSeries];
  /** Actions seen (the last slot folds the rest into "(other)"). */
  acts: string[];
}

const SIZE_NAMES = ['records', 'bytesOut', 'tokens'] as const;
const OTHER_ACTION = '(other)';
/** Buckets between a count and its entry into the hour profile. */
const PROFILE_DELAY = 24;
/** Learned counts are capped at expected x exp(this many noise sds). */
const RAMP_CAP_Z = 1;
/** While the drift z is at least this, the noise estimates (over-dispersion, upper semivariance) learn nothing. */
const SUSPECT_Z = 2;
/**
 * A legitimate new normal (a deploy doubles the workload): after an alarm, when the level over the next this
 * many judged buckets (3 h) holds (its last half hour still at least MIN_ACCEPT_RATIO above the profile and
 * not fallen back from the rest), the whole profile is rescaled to it (at most MAX_ACCEPT_RATIO) and the drift test starts again. A lasting new level thus costs one alert, not one
 * every day while each hour's slot learns it at the capped rate; a ramp that keeps rising alarms again.
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
/**
 * Per-event size model: samples of an action before its events count (fewer while the agent learns),
 * EWMA weight per event and its cap per bucket (a busy agent's usual sizes still move slowly in time),
 * clip of a learned residual in sds.
 */
const SIZE_WARM = 20;
const SIZE_WARM_LEARNING = 5;
const SIZE_ALPHA = 0.005;
const SIZE_ALPHA_BUCKET = 0.01;
const SIZE_CLIP = 3;
/** Hour-of-day correction of the pooled size residual: EWMA weight per day, buckets an hour needs, residual clip, extra sd floor. */
const HOUR_ALPHA = 0.3;
const HOUR_MIN_BUCKETS = 3;
const HOUR_CLIP = 3;
const HOUR_SD_FLOOR = 0.05;

function newSize(): SizeSeries {
  return { a: 0, p: 0, x: 0, hm: new Array<number>(24).fill(0), hv: new Array<number>(24).fill(0), hc: new Array<number>(24).fill(0), pm: new Array<number>(24).fill(0), pv: new Array<number>(24).fill(0), oh: -1, on: 0, o1: 0, o2: 0, ot: 0, am: [], av: [], ac: [], bn: [], bs: [], bq: [], iv: [], lim: [], g: newDrift() };
}

/** The largest of a slot's and its two neighbours' (same day class) values. */
function slotEnvelope(v: number[], slot: number): number {
  const base = slot < 24 ? 0 : 24;
  const h = slot - base;
  return Math.max(v[slot]!, v[base + ((h + 23) % 24)]!, v[base + ((h + 1) % 24)]!);
}

const drift: DriftResult = { s: 0, n: 0, slope: 0, any: 0 };

export function createSlowRampDetector(rules: Rules): Detector<RampState> {
  const rateRule = enabledRule(rules, 'slow-ramp.rate');
  const volRule = enabledRule(rules, 'slow-ramp.volume');
  const rateTh = rateRule?.thresholds ?? null;
  const volTh = volRule?.thresholds ?? null;
  const bucketMs = rules.engine.bucketMs;
  const tz = rules.engine.timezoneOffsetMinutes * 60_000;
  const maxActions = Math.max(2, rules.engine.maxActionSeriesPerAgent);
  const { seasonalAlpha, seasonalMinSamples } = rules.baseline;
  const maxFill = Math.ceil((2 * 86_400_000) / bucketMs);
  const kappa2Floor = (rateTh?.minDispersion ?? 0.1) ** 2;
  const sizeVarFloor = (volTh?.minDispersion ?? 0.25) ** 2;

  const newRate = (): RateSeries => ({ x: 0, sm: new Array<number>(SEASON_SLOTS).fill(0), sc: new Array<number>(SEASON_SLOTS).fill(0), su: new Array<number>(SEASON_SLOTS).fill(0), pd: [], ph2: 0, k2: KAPPA2_PRIOR, pk: 0, ph: -1, g: newDrift(), acceptRun: 0, acceptSum: 0, acceptLateSum: 0 });

  /** The slot's own mean, else the same hour in the other day class (-1: none); `own` tells which. */
  let own = false;
  const slotMeanOf = (s: RateSeries, slot: number): number => {
    own = s.sc[slot]! >= seasonalMinSamples;
    if (own) return s.sm[slot]!;
    const o = otherClassSlot(slot);
    return s.sc[o]! >= seasonalMinSamples ? s.sm[o]! : -1;
  };

  /** Busiest hour of the profile; recomputed once per hour of event time (it moves slowly). */
  function peakOf(s: RateSeries, bucket: number): number {
    const hour = Math.floor((bucket * bucketMs) / 3_600_000);
    if (s.ph === hour) return s.pk;
    let peak = 0;
    for (let j = 0; j < SEASON_SLOTS; j++) if (s.sc[j]! >= seasonalMinSamples && s.sm[j]! > peak) peak = s.sm[j]!;
    s.ph = hour;
    s.pk = peak;
    return peak;
  }

  function learnSeason(s: RateSeries, slot: number, v: number): void {
    const c = s.sc[slot]!;
    const a = Math.max(seasonalAlpha, 1 / (c + 1));
    s.sm[slot] = roundSig(s.sm[slot]! + a * (v - s.sm[slot]!));
    if (c < seasonalMinSamples || c < 1 / seasonalAlpha) s.sc[slot] = c + 1;
  }

  /** Push one bucket and evaluate the drift: true when a rise first reaches h. */
  function judge(g: DriftState, z: number, w: number, th: NonNullable<typeof rateTh>): boolean {
    pushDrift(g, Math.max(-th.zCap, Math.min(th.zCap, z)), w, th.windowBuckets);
    evalDrift(g, th.minRunBuckets, th.windowBuckets, th.minSlope, drift);
    g.s = roundSig(drift.any);
    if (g.f && drift.any < th.h / 2) g.f = 0;
    if (g.f || drift.s < th.h) return false;
    g.f = 1;
    return true;
  }

  function scoreOf(s: number, h: number, slope: number): number {
    return Math.min(1, 0.5 + 0.5 * (1 - h / s) + Math.max(0, slope - 0.03) * 2);
  }

  /** Close the count series' bucket. */
  function closeRate(st: RampState, bucket: number, x: number, ctx: DetectionContext<RampState>): Finding | null {
    const th = rateTh!;
    const s = st.rate;
    const slot = seasonSlot(bucket * bucketMs, tz);
    const center = slotMeanOf(s, slot);
    const ownSlot = own;
    let finding: Finding | null = null;
    let judged = false;
    if (center >= 0) {
      // Shift-tolerant: the highest of this hour and its neighbours, so an early morning is no ramp.
      const expected = envelopeHigh(s.sm, s.sc, seasonalMinSamples, slot);
      const active = center >= ACTIVE_SHARE * peakOf(s, bucket);
      const upper = slotEnvelope(s.su, ownSlot ? slot : otherClassSlot(slot));
      const sd = Math.sqrt(Math.max(1 / (expected + 1) + Math.max(s.k2, kappa2Floor), 2 * upper));
      const r = Math.log((x + 1) / (expected + 1));
      judged = active && expected >= th.minLevel && !ctx.learning;
      if (judged && judge(s.g, r / sd, 1 / sd, th) && rateRule) {
        finding = rateFinding(bucket, x, expected, sd, s.sc[slot]!, ctx);
        s.acceptRun = 1;
        s.acceptSum = r;
        s.acceptLateSum = 0;
      } else if (judged && s.acceptRun > 0) acceptNewNormal(s, r);
      if (s.g.s < SUSPECT_Z && ownSlot) {
        const up = Math.min(UPPER_CLIP, Math.max(0, r));
        const a = Math.max(UPPER_ALPHA, 1 / (s.sc[slot]! + 1));
        s.su[slot] = roundSig(s.su[slot]! + a * (up * up - s.su[slot]!));
        if (judged && expected <= FLAT_RATIO * center) {
          const e = Math.min(r * r - 1 / (expected + 1), 4 * sd * sd);
          s.k2 = roundSig(Math.max(0, s.k2 + KAPPA2_ALPHA * (e - s.k2)));
        }
      }
    }
    if (!judged) pushDrift(s.g, 0, 0, th.windowBuckets);
    learnProfile(s, bucket, x, ctx.learning, th.h);
    return finding;
  }

  /**
   * After an alarm: over the next ACCEPT_BUCKETS judged buckets, the level the agent now works at. When its
   * last ACCEPT_TAIL_BUCKETS are still at least MIN_ACCEPT_RATIO above the profile and not more than HOLD_FACTOR
   * below the rest of it, the profile is rescaled to that last level. A ramp that ended and fell back fails the end, so it teaches
   * nothing (the same ramp tomorrow is caught as early); a level that holds is the new normal.
   */
  function acceptNewNormal(s: RateSeries, r: number): void {
    s.acceptRun++;
    s.acceptSum += r;
    if (s.acceptRun > ACCEPT_BUCKETS - ACCEPT_TAIL_BUCKETS) s.acceptLateSum += r;
    if (s.acceptRun < ACCEPT_BUCKETS) return;
    const earlyRatio = Math.exp((s.acceptSum - s.acceptLateSum) / (ACCEPT_BUCKETS - ACCEPT_TAIL_BUCKETS));
    const lateRatio = Math.exp(s.acceptLateSum / ACCEPT_TAIL_BUCKETS);
    s.acceptRun = 0;
    s.acceptSum = 0;
    s.acceptLateSum = 0;
    // A new normal holds: up at the end, and not fallen far from where it was (a spent ramp falls back).
    if (lateRatio < MIN_ACCEPT_RATIO || lateRatio * HOLD_FACTOR < earlyRatio) return;
    const scale = Math.min(MAX_ACCEPT_RATIO, lateRatio);
    for (let j = 0; j < SEASON_SLOTS; j++) s.sm[j] = roundSig(s.sm[j]! * scale);
    for (let k = 0; k < s.pd.length; k++) s.pd[k] = s.pd[k]! * scale;
    s.g = newDrift();
    s.ph = -1;
  }

  /**
   * The hour profile learns each bucket PROFILE_DELAY buckets late, capped against the expectation
   * for it: a ramp has been judged (and, if it alarmed, is learned no higher than expected) before
   * its first buckets reach the profile it is judged against. A slot still judged on the other day
   * class's profile (a first weekend) learns nothing above that expectation either.
   */
  function learnProfile(s: RateSeries, bucket: number, x: number, learning: boolean, h: number): void {
    if (s.pd.length < PROFILE_DELAY) {
      s.pd.push(x);
      s.ph2 = s.pd.length % PROFILE_DELAY;
      return;
    }
    let v = s.pd[s.ph2]!;
    s.pd[s.ph2] = x;
    s.ph2 = (s.ph2 + 1) % PROFILE_DELAY;
    const slot = seasonSlot((bucket - PROFILE_DELAY) * bucketMs, tz);
    if (!learning && slotMeanOf(s, slot) >= 0) {
      const ref = envelopeHigh(s.sm, s.sc, seasonalMinSamples, slot);
      if (s.g.f || s.g.s >= h || !own) v = Math.min(v, ref);
      else v = Math.min(v, (ref + 1) * Math.exp(RAMP_CAP_Z * Math.sqrt(1 / (ref + 1) + Math.max(s.k2, kappa2Floor))) - 1);
    }
    learnSeason(s, slot, v);
  }

  function rateFinding(bucket: number, x: number, expected: number, sd: number, samples: number, ctx: DetectionContext<RampState>): Finding {
    const th = rateTh!;
    const n = drift.n;
    const pct = (Math.exp(drift.slope) - 1) * 100;
    const ratio = Math.exp(drift.slope * n);
    return {
      detector: 'slow-ramp',
      ruleId: 'slow-ramp.rate',
      score: scoreOf(drift.s, th.h, drift.slope),
      title: `Slow ramp in actions per bucket: +${pct.toFixed(1)}%/bucket for ${n} buckets (now ~${ratio.toFixed(2)}x the usual level)`,
      description: `Agent ${ctx.agentId}'s actions per bucket have been climbing steadily for ${n} buckets, about ${pct.toFixed(1)}% per bucket above its usual level for these hours (last bucket ${x.toFixed(0)} against ${expected.toFixed(1)} expected; trend z ${drift.s.toFixed(1)}). A steady rise like this is what a rolling baseline would learn as normal: possible baseline poisoning or a slowly escalating abuse.`,
      metric: 'count(*) per bucket (ramp)',
      observed: x,
      baseline: { mean: roundSig(expected), std: roundSig(expected * (Math.exp(sd) - 1)), median: null, mad: null, sampleSize: samples, source: 'agent' },
      windowStart: (bucket - n + 1) * bucketMs,
      windowEnd: (bucket + 1) * bucketMs,
      relatedEventIds: ctx.recentEventIds(),
      details: { series: 'count(*)', runBuckets: String(n), slopePerBucket: `${pct.toFixed(2)}%`, rampRatio: ratio.toFixed(3), trendZ: drift.s.toFixed(2), noiseSd: sd.toFixed(3), expected: expected.toFixed(2) },
    };
  }

  /** Close one size series' bucket. */
  function closeSize(st: RampState, m: number, bucket: number, ctx: DetectionContext<RampState>): Finding | null {
    const th = volTh!;
    const s = st.size[m]!;
    const p = s.p;
    const x = s.x;
    const r = p > 0 ? s.a / p : 0;
    s.a = 0;
    s.p = 0;
    s.x = 0;
    const epochHour = Math.floor((bucket * bucketMs + tz) / 3_600_000);
    if (epochHour !== s.oh) commitHour(s, epochHour);
    const hour = ((epochHour % 24) + 24) % 24;
    if (!(p > 0)) {
      learnActions(s);
      pushDrift(s.g, 0, 0, th.windowBuckets);
      return null;
    }
    // What this hour of the day usually shows, shift-tolerant like the count profile: the highest
    // mean and spread of this hour and its neighbours (a nightly job that starts a little early).
    let base = 0;
    let extra = HOUR_SD_FLOOR * HOUR_SD_FLOOR;
    for (let k = -1; k <= 1; k++) {
      const o = (hour + 24 + k) % 24;
      if (s.hc[o]! < 1) continue;
      const mo = s.hm[o]!;
      if (mo > base) base = mo;
      const vo = s.hv[o]! - mo * mo;
      if (vo > extra) extra = vo;
    }
    const sd = Math.sqrt(1 / p + extra);
    let finding: Finding | null = null;
    if (ctx.learning) pushDrift(s.g, 0, 0, th.windowBuckets);
    else if (judge(s.g, (r - base) / sd, 1 / sd, th) && volRule) finding = sizeFinding(st, m, bucket, x, r - base, sd, ctx);
    learnActions(s);
    if (s.g.f) s.ot = 1;
    const rc = Math.max(-HOUR_CLIP, Math.min(HOUR_CLIP, r));
    s.on++;
    s.o1 += rc;
    s.o2 += rc * rc - 1 / p;
    return finding;
  }

  /**
   * Fold the finished hour into tomorrow's hour-of-day statistics (EWMA over days; an hour in which
   * the series alarmed counts a quarter), open `epochHour`, and on a new day make them today's.
   */
  function commitHour(s: SizeSeries, epochHour: number): void {
    const prev = s.oh;
    if (prev >= 0 && s.on >= HOUR_MIN_BUCKETS) {
      const h = ((prev % 24) + 24) % 24;
      const c = s.hc[h]!;
      let a = Math.max(HOUR_ALPHA, 1 / (c + 1));
      if (s.ot) a *= 0.25;
      s.pm[h] = roundSig(s.hm[h]! + a * (s.o1 / s.on - s.hm[h]!));
      s.pv[h] = roundSig(s.hv[h]! + a * (s.o2 / s.on - s.hv[h]!));
      if (c < 1 / HOUR_ALPHA) s.hc[h] = c + 1;
    }
    if (prev < 0 || Math.floor(prev / 24) !== Math.floor(epochHour / 24)) {
      for (let h = 0; h < 24; h++) {
        s.hm[h] = s.pm[h]!;
        s.hv[h] = s.pv[h]!;
      }
    }
    s.oh = epochHour;
    s.on = 0;
    s.o1 = 0;
    s.o2 = 0;
    s.ot = 0;
  }

  function sizeFinding(st: RampState, m: number, bucket: number, x: number, r: number, sd: number, ctx: DetectionContext<RampState>): Finding {
    const th = volTh!;
    const name = SIZE_NAMES[m]!;
    const n = drift.n;
    const pct = (Math.exp(drift.slope) - 1) * 100;
    const ratio = Math.exp(drift.slope * n);
    const usual = x / Math.exp(r);
    let samples = 0;
    for (const c of st.size[m]!.ac) samples += c;
    return {
      detector: 'slow-ramp',
      ruleId: 'slow-ramp.volume',
      score: scoreOf(drift.s, th.h, drift.slope),
      title: `Slow ramp in ${name} per event: +${pct.toFixed(1)}%/bucket for ${n} buckets (now ~${ratio.toFixed(2)}x the usual size)`,
      description: `Agent ${ctx.agentId}'s ${name} per event have been growing steadily for ${n} buckets, about ${pct.toFixed(1)}% per bucket above the usual size for the same actions (last bucket ${x.toFixed(0)} against ~${usual.toFixed(0)} at usual sizes; trend z ${drift.s.toFixed(1)}). A steady rise like this is what a rolling baseline would learn as normal: possible slow exfiltration or baseline poisoning.`,
      metric: `${name} per event (ramp)`,
      observed: x,
      baseline: { mean: roundSig(usual), std: roundSig(usual * (Math.exp(sd) - 1)), median: null, mad: null, sampleSize: samples, source: 'agent' },
      windowStart: (bucket - n + 1) * bucketMs,
      windowEnd: (bucket + 1) * bucketMs,
      relatedEventIds: ctx.recentEventIds(),
      details: { series: name, runBuckets: String(n), slopePerBucket: `${pct.toFixed(2)}%`, rampRatio: ratio.toFixed(3), trendZ: drift.s.toFixed(2), lastBucketSizeRatio: Math.exp(r).toFixed(3), noiseSd: sd.toFixed(3) },
    };
  }

  function actionIndex(st: RampState, action: string): number {
    const acts = st.acts;
    for (let i = 0; i < acts.length; i++) if (acts[i] === action) return i;
    if (acts.length >= maxActions) return maxActions - 1;
    acts.push(acts.length === maxActions - 1 ? OTHER_ACTION : action);
    for (const s of st.size) {
      s.am.push(0);
      s.av.push(0);
      s.ac.push(0);
      s.bn.push(0);
      s.bs.push(0);
      s.bq.push(0);
      s.iv.push(0);
      s.lim.push(0);
      derive(s, s.av.length - 1);
    }
    return acts.length - 1;
  }

  /**
   * One event's size: pooled into the bucket against its action's usual size (once the action has
   * SIZE_WARM samples), and kept for the action's learning at bucket close. Until then the action
   * learns each value at once (plain average).
   */
  function addSize(s: SizeSeries, ai: number, v: number, learning: boolean): void {
    const c = s.ac[ai]!;
    const dl = Math.log(v) - s.am[ai]!;
    if (c >= (learning ? SIZE_WARM_LEARNING : SIZE_WARM)) {
      const iv = s.iv[ai]!;
      s.a += dl * iv;
      s.p += iv;
      s.x += v;
      const lim = s.lim[ai]!;
      const d = dl > lim ? lim : dl < -lim ? -lim : dl;
      s.bn[ai]!++;
      s.bs[ai]! += d;
      s.bq[ai]! += d * d;
      return;
    }
    const a = 1 / (c + 1);
    s.am[ai] = roundSig(s.am[ai]! + a * dl);
    s.av[ai] = roundSig((1 - a) * (s.av[ai]! + a * dl * dl));
    s.ac[ai] = c + 1;
    derive(s, ai);
  }

  function derive(s: SizeSeries, i: number): void {
    const v2 = Math.max(s.av[i]!, sizeVarFloor);
    s.iv[i] = 1 / v2;
    s.lim[i] = SIZE_CLIP * Math.sqrt(v2);
  }

  /** At bucket close: each action's usual size learns the bucket's events (EWMA, capped per bucket; not upwards while the series alarms). */
  function learnActions(s: SizeSeries): void {
    const alarmed = s.g.s >= volTh!.h;
    for (let i = 0; i < s.bn.length; i++) {
      const k = s.bn[i]!;
      if (k === 0) continue;
      const d = s.bs[i]! / k;
      const q = s.bq[i]! / k;
      s.bn[i] = 0;
      s.bs[i] = 0;
      s.bq[i] = 0;
      if (alarmed && d > 0) continue;
      const a = Math.min(SIZE_ALPHA_BUCKET, k * SIZE_ALPHA);
      s.am[i] = roundSig(s.am[i]! + a * d);
      s.av[i] = roundSig(Math.max(0, (1 - a) * s.av[i]! + a * (q - a * d * d)));
      derive(s, i);
      const c = s.ac[i]! + k;
      s.ac[i] = c < 1 / SIZE_ALPHA ? c : 1 / SIZE_ALPHA;
    }
  }

  /** Close the open bucket (and empty ones up to, not including, `bucket`). */
  function advance(st: RampState, bucket: number, ctx: DetectionContext<RampState>, out: Finding[] | null): Finding[] | null {
    if (bucket <= st.b) return out;
    const gap = bucket - st.b - 1;
    if (rateTh) {
      let f = closeRate(st, st.b, st.rate.x, ctx);
      if (f) (out ??= []).push(f);
      for (let k = bucket - Math.min(gap, maxFill); k < bucket; k++) {
        f = closeRate(st, k, 0, ctx);
        if (f) (out ??= []).push(f);
      }
    }
    if (volTh) {
      for (let m = 0; m < 3; m++) {
        const f = closeSize(st, m, st.b, ctx);
        if (f) (out ??= []).push(f);
        // Empty buckets carry no size information: they only age the drift window.
        for (let k = Math.min(gap, volTh.windowBuckets); k > 0; k--) pushDrift(st.size[m]!.g, 0, 0, volTh.windowBuckets);
      }
    }
    st.b = bucket;
    st.rate.x = 0;
    return out;
  }

  return {
    ...slowRamp.identity,

    createState(ctx): RampState {
      return { b: ctx.bucket, rate: newRate(), size: [newSize(), newSize(), newSize()], acts: [] };
    },

    update(event: DetectionEvent, ctx: DetectionContext<RampState>): Finding[] {
      const st = ctx.state;
      let out: Finding[] | null = null;
      if (st.b !== ctx.bucket) out = advance(st, ctx.bucket, ctx, out);
      st.rate.x += 1;
      if (volTh && (event.records > 0 || event.bytesOut > 0 || event.tokens > 0)) {
        const ai = actionIndex(st, event.action);
        if (event.records > 0) addSize(st.size[0], ai, event.records, ctx.learning);
        if (event.bytesOut > 0) addSize(st.size[1], ai, event.bytesOut, ctx.learning);
        if (event.tokens > 0) addSize(st.size[2], ai, event.tokens, ctx.learning);
      }
      return out ?? NO_FINDINGS;
    },

    flush(ctx: DetectionContext<RampState>): Finding[] {
      return advance(ctx.state, ctx.bucket, ctx, null) ?? NO_FINDINGS;
    },

    snapshot(st: RampState): Json {
      const r = st.rate;
      return {
        b: st.b,
        rate: [r.x, r.sm, r.sc, r.su, r.pd, r.ph2, r.k2, r.pk, r.ph, snapshotDrift(r.g), r.acceptRun, r.acceptSum, r.acceptLateSum],
        size: st.size.map((s) => [s.a, s.p, s.x, s.hm, s.hv, s.hc, s.pm, s.pv, s.oh, s.on, s.o1, s.o2, s.ot, s.am, s.av, s.ac, s.bn, s.bs, s.bq, snapshotDrift(s.g)]),
        acts: st.acts,
      };
    },

    restore(json: Json): RampState {
      const o = json as { b: number; rate: Json[]; size: Json[][]; acts: string[] };
      const ra = o.rate as [number, number[], number[], number[], number[], number, number, number, number, Json, number?, number?, number?];
      const rate: RateSeries = { x: ra[0], sm: [...ra[1]], sc: [...ra[2]], su: [...ra[3]], pd: [...ra[4]], ph2: ra[5], k2: ra[6], pk: ra[7], ph: ra[8], g: restoreDrift(ra[9]), acceptRun: ra[10] ?? 0, acceptSum: ra[11] ?? 0, acceptLateSum: ra[12] ?? 0 };
      const size = o.size.map((a): SizeSeries => {
        const s = a as [number, number, number, number[], number[], number[], number[], number[], number, number, number, number, number, number[], number[], number[], number[], number[], number[], Json];
        const out: SizeSeries = { a: s[0], p: s[1], x: s[2], hm: [...s[3]], hv: [...s[4]], hc: [...s[5]], pm: [...s[6]], pv: [...s[7]], oh: s[8], on: s[9], o1: s[10], o2: s[11], ot: s[12], am: [...s[13]], av: [...s[14]], ac: [...s[15]], bn: [...s[16]], bs: [...s[17]], bq: [...s[18]], iv: [], lim: [], g: restoreDrift(s[19]) };
        for (let i = 0; i < out.av.length; i++) {
          out.iv.push(0);
          out.lim.push(0);
          derive(out, i);
        }
        return out;
      }) as RampState['size'];
      return { b: o.b, rate, size, acts: [...o.acts] };
    },
  };
}
