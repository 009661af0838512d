/**
 * Error / denial burst: failed authentications (outcome ERROR on auth.*) and
 * denied actions (outcome DENIED) per bucket, against the agent's baseline,
 * with absolute floors: never below `minValue`, always at `alwaysAt` (even
 * while the agent warms up: fifty failed logins need no history); and their
 * totals over hours (baseline/accumulation.ts), so failures paced one under
 * the floor all afternoon still alert.
 */
import { advance, createSeries, crossed, touch, type DropVerdict, type SeriesParams, type SeriesState } from '../baseline/series.js';
import { restoreSeries, snapshotSeries } from '../baseline/seriesCodec.js';
import type { Rules } from '../rules/schema.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { SpikeThresholds, spikeDefaults } from '../rules/thresholds.js';
import { dropFinding, enabledRule, spikeFinding, spikeParams, type SpikeFindingText } from './common.js';
import { defineDetector, rule } from './define.js';

export interface ErrorState {
  authFailures: SeriesState;
  denied: SeriesState;
}

export const errorBurst = defineDetector({
  name: 'error-burst',
  acceptsUnverified: false,
  rules: {
    'error-burst.auth-failures': rule(SpikeThresholds, {
      description: 'A burst of failed authentications (outcome ERROR on auth.* actions): credential stuffing or a stolen, revoked credential.',
      severity: 'HIGH',
      tags: ['mitre:T1110', 'mitre:T1078', 'atlas:AML.T0012'],
      thresholds: spikeDefaults('up', 5, 3, 6, 25, null),
    }),
    'error-burst.denied': rule(SpikeThresholds, {
      description: 'A burst of actions refused by authorization checks (outcome DENIED): the agent probes beyond its privileges.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM06', 'mitre:T1078', 'mitre:T1069'],
      thresholds: spikeDefaults('up', 5, 3, 6, 30, null),
    }),
  },
  create: createErrorBurstDetector,
});

export function createErrorBurstDetector(rules: Rules): Detector<ErrorState> {
  const authRule = enabledRule(rules, 'error-burst.auth-failures');
  const deniedRule = enabledRule(rules, 'error-burst.denied');
  const pAuth = spikeParams(rules, 'error-burst.auth-failures', { poisson: true, absSpreadFloor: 1, accumulation: true, accumulationPrior: true });
  const pDenied = spikeParams(rules, 'error-burst.denied', { poisson: true, absSpreadFloor: 1, accumulation: true, accumulationPrior: true });
  // The last event's action and resource, when an event (not the clock) closed the bucket.
  const lastOf = (lastAction: string, lastResource: string) => (lastAction ? { details: { lastAction, lastResource } } : {});
  const authText = (lastAction: string, lastResource: string): SpikeFindingText => ({ detector: 'error-burst', ruleId: 'error-burst.auth-failures', metric: 'count(auth.* ERROR) per bucket', what: 'failed authentications', ...lastOf(lastAction, lastResource) });
  const deniedText = (lastAction: string, lastResource: string): SpikeFindingText => ({ detector: 'error-burst', ruleId: 'error-burst.denied', metric: 'count(DENIED) per bucket', what: 'denied actions', ...lastOf(lastAction, lastResource) });
  // Error rules look up only (a drop in failures is good news): what a bucket's close reports is a total over hours.
  const closed = (drop: DropVerdict | null, p: SeriesParams, s: SeriesState, ctx: DetectionContext<ErrorState>, text: SpikeFindingText | null): Finding[] =>
    drop && text ? [dropFinding(drop, p, s, ctx, text)] : NO_FINDINGS;

  return {
    ...errorBurst.identity,

    createState(ctx): ErrorState {
      return { authFailures: createSeries(pAuth, ctx.bucket), denied: createSeries(pDenied, ctx.bucket) };
    },

    update(event: DetectionEvent, ctx: DetectionContext<ErrorState>): Finding[] {
      if (event.outcome === 'SUCCESS') return NO_FINDINGS;
      const st = ctx.state;
      const b = ctx.bucket;
      const resource = event.resource ?? '';
      if (event.outcome === 'ERROR' && event.action.startsWith('auth.')) {
        const s = st.authFailures;
        const text = authRule ? authText(event.action, resource) : null;
        let out = NO_FINDINGS;
        if (s.openBucket !== b || s.upperThreshold === -1) out = closed(touch(s, pAuth, b, null, ctx.zone, !ctx.learning), pAuth, s, ctx, text);
        s.openValue += 1;
        if (text && crossed(s, pAuth)) out = [...out, spikeFinding(s, pAuth, null, ctx, text)];
        return out;
      } else if (event.outcome === 'DENIED') {
        const s = st.denied;
        const text = deniedRule ? deniedText(event.action, resource) : null;
        let out = NO_FINDINGS;
        if (s.openBucket !== b || s.upperThreshold === -1) out = closed(touch(s, pDenied, b, null, ctx.zone, !ctx.learning), pDenied, s, ctx, text);
        s.openValue += 1;
        if (text && crossed(s, pDenied)) out = [...out, spikeFinding(s, pDenied, null, ctx, text)];
        return out;
      }
      return NO_FINDINGS;
    },

    flush(ctx: DetectionContext<ErrorState>): Finding[] {
      const st = ctx.state;
      let out = NO_FINDINGS;
      if (st.authFailures.openBucket >= 0 && st.authFailures.openBucket < ctx.bucket) out = closed(advance(st.authFailures, pAuth, ctx.bucket, null, ctx.zone), pAuth, st.authFailures, ctx, authRule ? authText('', '') : null);
      if (st.denied.openBucket >= 0 && st.denied.openBucket < ctx.bucket) {
        const more = closed(advance(st.denied, pDenied, ctx.bucket, null, ctx.zone), pDenied, st.denied, ctx, deniedRule ? deniedText('', '') : null);
        if (more.length > 0) out = [...out, ...more];
      }
      return out;
    },

    snapshot(st: ErrorState): Json {
      return { authFailures: snapshotSeries(st.authFailures), denied: snapshotSeries(st.denied) };
    },

    restore(json: Json): ErrorState {
      const o = json as { authFailures: Json; denied: Json };
      return { authFailures: restoreSeries(o.authFailures, pAuth), denied: restoreSeries(o.denied, pDenied) };
    },
  };
}
