/**
 * Slow ramp (baseline poisoning): a value that climbs a few percent per
 * bucket never looks like a spike, and a rolling baseline follows it. This is
 * the long-vs-short window check: each closed bucket is compared with a
 * reference a ramp cannot move quickly, namely the agent's own profile for
 * that hour (slow EWMA, shift-tolerant envelope, learned capped) times
 * "today's level" (median of log(observed / profile) over a long window that
 * ends `DELAY_BUCKETS` ago, so the recent short window never feeds its own
 * reference). The log-residual, in units of its robust upward spread and
 * capped at `zCap` (one spike cannot pass for a ramp), feeds a one-sided
 * CUSUM; it alerts at `h` once the rise has lasted `minRunBuckets`, the last
 * `shortBuckets` still run `shortRatio` above expectation and the residuals'
 * slope is not falling (`minTrendT`). Only the agent's active hours are judged,
 * and series noisier than `maxDispersion` are not (a 5%-per-bucket ramp cannot
 * show in them). Count series (rule slow-ramp.rate) and records / bytes out /
 * tokens (rule slow-ramp.volume). Evaluated at bucket close.
 */
import type { Rules } from '../rules/schema.js';
import { MAD_TO_STD, halfIqrSorted, insertSorted, medianSorted, removeSorted, roundSig } from '../baseline/robust.js';
import { SEASON_SLOTS } from '../baseline/peers.js';
import { seasonSlot } from '../time.js';
import { seasonalEnvelope } from '../baseline/series.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { enabledRule } from './common.js';

export interface RampSeries {
  /** Open bucket and its value. */
  b: number;
  x: number;
  /** Seasonal means and sample counts. */
  sm: number[];
  sc: number[];
  /** Ring of observed/profile ratios (physical order), head, sorted copy (derived). */
  q: number[];
  qh: number;
  qs: number[];
  /** Cached busiest-hour profile value, and the hour it was computed in. */
  pk: number;
  ph: number;
  /** Last TREND_BUCKETS log-residuals log((x + c) / (mu + c)) (ring, head), for the trend test. */
  tr: number[];
  th: number;
  /** Delay line in front of the level window (ring, head). */
  d: number[];
  dh: number;
  /** Last few closed buckets' observed and expected values (ring, head). */
  sx: number[];
  se: number[];
  sh: number;
  /** CUSUM, bucket its run started (-1), fired in this run, and the run's sums of observed and expected. */
  cu: number;
  cs: number;
  fired: number;
  rx: number;
  re: number;
}

export interface RampState {
  series: [RampSeries, RampSeries, RampSeries, RampSeries];
}

const NAMES = ['count(*)', 'records', 'bytesOut', 'tokens'] as const;
/** Learned values are capped at expected + this many standard deviations. */
const RAMP_CAP_Z = 1;
/** Buckets in the trend test (least-squares slope of the log-residuals). */
const TREND_BUCKETS = 16;
/** Buckets between a value and its entry into the level window (the short window the level ignores). */
const DELAY_BUCKETS = 12;
/** Hours whose profile is below this share of the busiest hour are not judged (off-hours has them). */
const ACTIVE_SHARE = 0.25;

export function createSlowRampDetector(rules: Rules): Detector<RampState> {
  const rateRule = enabledRule(rules, 'slow-ramp.rate');
  const volRule = enabledRule(rules, 'slow-ramp.volume');
  const bucketMs = rules.engine.bucketMs;
  const tz = rules.engine.timezoneOffsetMinutes * 60_000;
  const { seasonalAlpha, seasonalMinSamples } = rules.baseline;
  const maxFill = Math.ceil((2 * 86_400_000) / bucketMs);
  const specs = NAMES.map((name, i) => {
    const rule = i === 0 ? rateRule : volRule;
    return { name, rule, poisson: i === 0, th: rule?.thresholds ?? null };
  });

  const newSeries = (b: number): RampSeries => ({ b, x: 0, sm: new Array<number>(SEASON_SLOTS).fill(0), sc: new Array<number>(SEASON_SLOTS).fill(0), q: [], qh: 0, qs: [], pk: 0, ph: -1, tr: [], th: 0, d: [], dh: 0, sx: [], se: [], sh: 0, cu: 0, cs: -1, fired: 0, rx: 0, re: 0 });

  const slotMeanOf = (s: RampSeries, slot: number): number => {
    if (s.sc[slot]! >= seasonalMinSamples) return s.sm[slot]!;
    const o = slot < 24 ? slot + 24 : slot - 24;
    return s.sc[o]! >= seasonalMinSamples ? s.sm[o]! : -1;
  };

  /** Shift-tolerant: the highest of this hour and its neighbours, so an early morning is no ramp. */
  const expectedAt = (s: RampSeries, slot: number): number => seasonalEnvelope(s.sm, s.sc, seasonalMinSamples, slot);

  /** Busiest hour of the profile; recomputed once per hour of event time (it moves slowly). */
  function peakOf(s: RampSeries, bucket: number): number {
    const hour = Math.floor((bucket * bucketMs) / 3_600_000);
    if (s.ph === hour) return s.pk;
    let peak = 0;
    for (let j = 0; j < SEASON_SLOTS; j++) if (s.sc[j]! >= seasonalMinSamples && s.sm[j]! > peak) peak = s.sm[j]!;
    s.ph = hour;
    s.pk = peak;
    return peak;
  }

  function learnSeason(s: RampSeries, slot: number, v: number): void {
    const c = s.sc[slot]!;
    const a = Math.max(seasonalAlpha, 1 / (c + 1));
    s.sm[slot] = roundSig(s.sm[slot]! + a * (v - s.sm[slot]!));
    if (c < seasonalMinSamples || c < 1 / seasonalAlpha) s.sc[slot] = c + 1;
  }

  /** Judge one closed bucket; returns a finding when the CUSUM first passes h in this run. */
  function close(s: RampSeries, i: number, bucket: number, x: number, ctx: DetectionContext<RampState>): Finding | null {
    const spec = specs[i]!;
    const th = spec.th;
    const slot = seasonSlot(bucket * bucketMs, tz);
    const expected = expectedAt(s, slot);
    // Today's level is measured against this hour's own profile (not the envelope), which a shifted day leaves near 1.
    const center = slotMeanOf(s, slot);
    if (!th || expected < 0 || ctx.learning) {
      learnSeason(s, slot, x);
      return null;
    }
    const window = th.levelWindowBuckets;
    const warm = s.q.length >= window / 3;
    // Work in logs: volumes are heavy-tailed, and a ramp is a straight line there.
    const level = warm ? medianSorted(s.qs) : 0;
    // Scale of upward deviations: the larger of the MAD and the upper quartile's distance (volumes are skewed upwards).
    const upper = warm ? s.qs[Math.min(s.qs.length - 1, Math.floor(0.75 * s.qs.length))]! - level : 0;
    const sigma = warm ? Math.max(MAD_TO_STD * halfIqrSorted(s.qs), MAD_TO_STD * upper, th.minDispersion) : 1;
    const mu = expected * Math.exp(level);
    // Smoothing: log((x + c) / (mu + c)). For volumes c is the hour's profile itself, so an empty
    // bucket counts as log(1/2), not minus infinity: quiet hours cannot drag today's level down.
    const c = spec.poisson ? 1 : Math.max(center, 1e-9);
    // Judge (and measure today's level) only in the agent's active hours: quiet hours say nothing about a ramp.
    const active = center >= ACTIVE_SHARE * peakOf(s, bucket);
    if (!active) { const dbg = (globalThis as any).__rampDbg; if (dbg) dbg(ctx.agentId, i, bucket, { x, mu, expected, center, level, sigma, cu: s.cu, active, inactive: 1 });
      learnSeason(s, slot, warm ? Math.min(x, (mu + (spec.poisson ? 1 : Math.max(center, 1e-9))) * Math.exp(RAMP_CAP_Z * sigma)) : x);
      return null;
    }
    if (!(mu > 0) || mu < th.minLevel || !warm || sigma > th.maxDispersion) {
      // No signal here (quiet hour, too noisy a series): let the evidence decay, keep learning.
      s.cu = roundSig(Math.max(0, s.cu - th.k));
      if (s.cu === 0) resetRun(s);
      s.sx.length = 0;
      s.se.length = 0;
      s.sh = 0;
      const learned = warm ? Math.min(x, (mu + c) * Math.exp(RAMP_CAP_Z * sigma) - c) : x;
      learnSeason(s, slot, learned);
      pushLevel(s, learned, center, c, window);
      return null;
    }
    const r = Math.log((x + c) / (mu + c));
    const dbg = (globalThis as any).__rampDbg; if (dbg) dbg(ctx.agentId, i, bucket, { x, mu, expected, center, level, sigma, cu: s.cu, active });
    const z = Math.max(-th.zCap, Math.min(th.zCap, r / sigma));
    if (s.tr.length < TREND_BUCKETS) {
      s.tr.push(roundSig(r));
      s.th = s.tr.length % TREND_BUCKETS;
    } else {
      s.tr[s.th] = roundSig(r);
      s.th = (s.th + 1) % TREND_BUCKETS;
    }
    s.cu = roundSig(Math.max(0, s.cu + z - th.k));
    // Short window: the last few buckets, observed vs expected.
    if (s.sx.length < th.shortBuckets) {
      s.sx.push(x);
      s.se.push(roundSig(mu));
      s.sh = s.sx.length % th.shortBuckets;
    } else {
      s.sx[s.sh] = x;
      s.se[s.sh] = roundSig(mu);
      s.sh = (s.sh + 1) % th.shortBuckets;
    }
    let finding: Finding | null = null;
    if (s.cu === 0) resetRun(s);
    else {
      if (s.cs < 0) s.cs = bucket;
      s.rx = roundSig(s.rx + x);
      s.re = roundSig(s.re + mu);
      let sxSum = 0;
      let seSum = 0;
      for (let j = 0; j < s.sx.length; j++) {
        sxSum += s.sx[j]!;
        seSum += s.se[j]!;
      }
      const runBuckets = bucket - s.cs + 1;
      const sustained = runBuckets >= th.minRunBuckets && s.sx.length >= th.shortBuckets && sxSum >= th.shortRatio * seSum;
      // A ramp rises: the slope of the residuals over the run (up to TREND_BUCKETS) must be clearly positive.
      if (s.cu >= th.h && sustained && !s.fired && spec.rule && trendT(s, Math.min(runBuckets, TREND_BUCKETS)) >= th.minTrendT) {
        s.fired = 1;
        const ratio = s.re > 0 ? s.rx / s.re : 0;
        finding = {
          detector: 'slow-ramp',
          ruleId: spec.rule.id,
          score: Math.min(1, 0.5 + 0.5 * (1 - th.h / s.cu) + 0.1 * Math.max(0, sxSum / seSum - 1)),
          title: `Slow ramp in ${spec.name} per bucket: ${(sxSum / seSum).toFixed(2)}x the usual level, rising for ${runBuckets} buckets`,
          description: `Agent ${ctx.agentId}'s ${spec.name} per bucket has been above its usual level for this hour for ${runBuckets} buckets (${ratio.toFixed(2)}x over the run, ${(sxSum / seSum).toFixed(2)}x in the last ${th.shortBuckets}); last bucket ${x.toFixed(0)} against ${mu.toFixed(1)} expected. A steady rise like this is what a rolling baseline would learn as normal: possible baseline poisoning or slow exfiltration.`,
          metric: `${spec.name} per bucket (ramp)`,
          observed: x,
          baseline: { mean: mu, std: mu * (Math.exp(sigma) - 1), median: expected, mad: null, sampleSize: s.q.length, source: 'agent' },
          windowStart: s.cs * bucketMs,
          windowEnd: (bucket + 1) * bucketMs,
          relatedEventIds: ctx.recentEventIds(),
          details: { series: spec.name, runBuckets: String(runBuckets), runRatio: ratio.toFixed(3), recentRatio: (sxSum / seSum).toFixed(3), cusum: s.cu.toFixed(2), todayLevel: Math.exp(level).toFixed(3), logDispersion: sigma.toFixed(3), seasonalExpected: expected.toFixed(2) },
        };
      }
    }
    // Learn capped, tighter than the spike detectors: the ramp itself must not become the reference.
    const learned = Math.min(x, (mu + c) * Math.exp(RAMP_CAP_Z * sigma) - c);
    // While a rise is under way (CUSUM > 0) the hour's profile learns nothing above the expectation.
    // (Today's level still learns, through its delay line: it re-centres a profile that is off.)
    learnSeason(s, slot, s.cu > 0 ? Math.min(x, mu) : learned);
    pushLevel(s, learned, center, c, window);
    return finding;
  }

  /**
   * Remember log(observed / this hour's profile) for today's level and the dispersion. Values pass
   * through a delay line of DELAY_BUCKETS first: the reference is the long window minus the short
   * one, so the first buckets of a ramp cannot lift the level they are judged against.
   */
  function pushLevel(s: RampSeries, learned: number, center: number, c: number, window: number): void {
    if (!(center > 0)) return;
    let q = roundSig(Math.log((learned + c) / (center + c)));
    if (s.d.length < DELAY_BUCKETS) {
      s.d.push(q);
      s.dh = s.d.length % DELAY_BUCKETS;
      return;
    }
    const out = s.d[s.dh]!;
    s.d[s.dh] = q;
    s.dh = (s.dh + 1) % DELAY_BUCKETS;
    q = out;
    if (s.q.length < window) {
      s.q.push(q);
      s.qh = s.q.length % window;
    } else {
      removeSorted(s.qs, s.q[s.qh]!);
      s.q[s.qh] = q;
      s.qh = (s.qh + 1) % window;
    }
    insertSorted(s.qs, q);
  }

  /** t statistic of the least-squares slope of the last n residuals (oldest first). */
  function trendT(s: RampSeries, n: number): number {
    const len = s.tr.length;
    if (n < 4 || len < n) return 0;
    let sy = 0;
    let sty = 0;
    const start = (s.th - n + len * 2) % len;
    for (let i = 0; i < n; i++) {
      const y = s.tr[(start + i) % len]!;
      sy += y;
      sty += i * y;
    }
    const tMean = (n - 1) / 2;
    const stt = (n * (n * n - 1)) / 12;
    const slope = (sty - tMean * sy) / stt;
    const intercept = sy / n - slope * tMean;
    let sse = 0;
    for (let i = 0; i < n; i++) {
      const e = s.tr[(start + i) % len]! - intercept - slope * i;
      sse += e * e;
    }
    const se = Math.sqrt(sse / (n - 2) / stt);
    return se > 0 ? slope / se : slope > 0 ? Infinity : 0;
  }

  function resetRun(s: RampSeries): void {
    s.cs = -1;
    s.fired = 0;
    s.rx = 0;
    s.re = 0;
  }

  /** Close buckets up to (not including) `bucket`. */
  function advance(s: RampSeries, i: number, bucket: number, ctx: DetectionContext<RampState>, out: Finding[] | null): Finding[] | null {
    if (s.b < 0 || bucket <= s.b) {
      if (s.b < 0) s.b = bucket;
      return out;
    }
    let f = close(s, i, s.b, s.x, ctx);
    if (f) (out ??= []).push(f);
    const fill = Math.min(bucket - s.b - 1, maxFill);
    for (let k = bucket - fill; k < bucket; k++) {
      f = close(s, i, k, 0, ctx);
      if (f) (out ??= []).push(f);
    }
    s.b = bucket;
    s.x = 0;
    return out;
  }

  return {
    name: 'slow-ramp',
    ruleIds: ['slow-ramp.rate', 'slow-ramp.volume'],
    acceptsUnverified: false,

    createState(ctx): RampState {
      const b = ctx.bucket;
      return { series: [newSeries(b), newSeries(b), newSeries(b), newSeries(b)] };
    },

    update(event: DetectionEvent, ctx: DetectionContext<RampState>): Finding[] {
      const ser = ctx.state.series;
      const b = ctx.bucket;
      let out: Finding[] | null = null;
      const s0 = ser[0];
      if (s0.b !== b) out = advance(s0, 0, b, ctx, out);
      s0.x += 1;
      if (event.records > 0) {
        if (ser[1].b !== b) out = advance(ser[1], 1, b, ctx, out);
        ser[1].x += event.records;
      }
      if (event.bytesOut > 0) {
        if (ser[2].b !== b) out = advance(ser[2], 2, b, ctx, out);
        ser[2].x += event.bytesOut;
      }
      if (event.tokens > 0) {
        if (ser[3].b !== b) out = advance(ser[3], 3, b, ctx, out);
        ser[3].x += event.tokens;
      }
      return out ?? NO_FINDINGS;
    },

    flush(ctx: DetectionContext<RampState>): Finding[] {
      let out: Finding[] | null = null;
      ctx.state.series.forEach((s, i) => {
        out = advance(s, i, ctx.bucket, ctx, out);
      });
      return out ?? NO_FINDINGS;
    },

    snapshot(st: RampState): Json {
      return st.series.map((s) => [s.b, s.x, s.sm, s.sc, s.q, s.qh, s.cu, s.cs, s.fired, s.rx, s.re, s.sx, s.se, s.sh, s.d, s.dh, s.tr, s.th, s.pk, s.ph]);
    },

    restore(json: Json): RampState {
      const arr = json as [number, number, number[], number[], number[], number, number, number, number, number, number, number[], number[], number, number[], number, number[], number, number, number][];
      const series = arr.map((a) => ({ b: a[0], x: a[1], sm: [...a[2]], sc: [...a[3]], q: [...a[4]], qh: a[5], qs: a[4].slice().sort((x, y) => x - y), cu: a[6], cs: a[7], fired: a[8], rx: a[9], re: a[10], sx: [...a[11]], se: [...a[12]], sh: a[13], d: [...a[14]], dh: a[15], tr: [...a[16]], th: a[17], pk: a[18], ph: a[19] }));
      return { series: series as RampState['series'] };
    },
  };
}
