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
 * Two signals, judged at bucket close, one file each:
 * - slow-ramp.rate (slowRamp/rateSeries.ts): actions per bucket against the
 *   agent's hour profile, which learns 24 buckets late and capped.
 * - slow-ramp.volume (slowRamp/sizeSeries.ts): records, bytes out and tokens
 *   *per event* against the usual size of the same action, minus what that
 *   hour of the day usually shows.
 *
 * Poisoning resistance: learned values are clipped, the count profile learns
 * late and not above expectation while alarmed, the per-action sizes learn at
 * most 1% per bucket and not upwards while alarmed, the hour-of-day size
 * correction learns a day late. State (slowRamp/state.ts): typed arrays per
 * series (~6.5 KB per agent for the count series and three size metrics,
 * drift rings included: bench/memory-breakdown.ts, 2026-12-07, was ~9.1 KB
 * with float64 arrays and plain drift rings); what every event touches (the
 * size models of all three metrics) is one array, what only a bucket's close
 * reads is per series; a size metric the agent never sends has no series.
 * Snapshot: slowRamp/codec.ts (versioned, named).
 */
import type { Rules } from '../rules/schema.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { defineDetector, rule } from './define.js';
import { rampConfig, type RampConfig } from './slowRamp/config.js';
import { restoreRamp, snapshotRamp } from './slowRamp/codec.js';
import { closeRate, createRateSeries } from './slowRamp/rateSeries.js';
import { addSize, closeSize, emptySizeModels } from './slowRamp/sizeSeries.js';
import type { RampState } from './slowRamp/state.js';
import { RampThresholds } from './slowRamp/thresholds.js';
import { pushTrend } from './slowRamp/trend.js';

export type { RampState } from './slowRamp/state.js';
export { RampThresholds } from './slowRamp/thresholds.js';

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

const OTHER_ACTION = '(other)';

/** The action's index in the agent's list, adding it (past the cap, everything goes to the last slot, "(other)"). */
function actionIndex(cfg: RampConfig, st: RampState, action: string): number {
  const actions = st.actions;
  for (let i = 0; i < actions.length; i++) if (actions[i] === action) return i;
  if (actions.length >= cfg.maxActions) return cfg.maxActions - 1;
  actions.push(actions.length === cfg.maxActions - 1 ? OTHER_ACTION : action);
  return actions.length - 1;
}

/** Close the open bucket (and empty ones up to, not including, `bucket`). */
function advance(cfg: RampConfig, st: RampState, bucket: number, ctx: DetectionContext<RampState>, out: Finding[] | null): Finding[] | null {
  if (bucket <= st.openBucket) return out;
  const gap = bucket - st.openBucket - 1;
  if (cfg.rate && st.rate) {
    let finding = closeRate(cfg, cfg.rate, st.rate, st.openBucket, st.rate.openCount, ctx);
    if (finding) (out ??= []).push(finding);
    for (let k = bucket - Math.min(gap, cfg.maxFillBuckets); k < bucket; k++) {
      finding = closeRate(cfg, cfg.rate, st.rate, k, 0, ctx);
      if (finding) (out ??= []).push(finding);
    }
    st.rate.openCount = 0;
  }
  if (cfg.volume) {
    const windowBuckets = cfg.volume.windowBuckets;
    // Empty buckets carry no size information: they only age the drift window.
    const emptyBuckets = Math.min(gap, windowBuckets);
    for (let metric = 0; metric < 3; metric++) {
      const series = st.sizes[metric];
      if (!series) continue;
      const finding = closeSize(cfg, cfg.volume, st, metric, st.openBucket, ctx);
      if (finding) (out ??= []).push(finding);
      for (let k = emptyBuckets; k > 0; k--) pushTrend(series.drift, 0, 0, windowBuckets);
    }
    st.sizeTrendLength = Math.min(windowBuckets, st.sizeTrendLength + 1 + emptyBuckets);
  }
  st.openBucket = bucket;
  return out;
}

/** Each metric's series is created at its first value (addSize), as the idle series it would have been. */
function addSizes(cfg: RampConfig, st: RampState, event: DetectionEvent, learning: boolean): void {
  const action = actionIndex(cfg, st, event.action);
  if (event.records > 0) addSize(cfg, st, 0, action, event.records, learning);
  if (event.bytesOut > 0) addSize(cfg, st, 1, action, event.bytesOut, learning);
  if (event.tokens > 0) addSize(cfg, st, 2, action, event.tokens, learning);
}

export function createSlowRampDetector(rules: Rules): Detector<RampState> {
  const cfg = rampConfig(rules);
  return {
    ...slowRamp.identity,

    createState(ctx): RampState {
      return { openBucket: ctx.bucket, actions: [], rate: cfg.rate ? createRateSeries() : null, sizes: [null, null, null], sizeModels: emptySizeModels(), sizeTrendLength: 0 };
    },

    update(event: DetectionEvent, ctx: DetectionContext<RampState>): Finding[] {
      const st = ctx.state;
      let out: Finding[] | null = null;
      if (st.openBucket !== ctx.bucket) out = advance(cfg, st, ctx.bucket, ctx, out);
      if (st.rate) st.rate.openCount += 1;
      if (cfg.volume && (event.records > 0 || event.bytesOut > 0 || event.tokens > 0)) addSizes(cfg, st, event, ctx.learning);
      return out ?? NO_FINDINGS;
    },

    flush(ctx: DetectionContext<RampState>): Finding[] {
      return advance(cfg, ctx.state, ctx.bucket, ctx, null) ?? NO_FINDINGS;
    },

    snapshot(st: RampState): Json {
      return snapshotRamp(st);
    },

    restore(json: Json): RampState {
      return restoreRamp(json, cfg);
    },
  };
}
