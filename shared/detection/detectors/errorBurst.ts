/**
 * Error / denial burst: failed authentications (outcome ERROR on auth.*) and
 * denied actions (outcome DENIED) per bucket, against the agent's baseline,
 * with absolute floors: never below `minValue`, always at `alwaysAt` (even
 * while the agent warms up: fifty failed logins need no history).
 */
import { advance, createSeries, crossed, touch, type SeriesState } from '../baseline/series.js';
import { restoreSeries, snapshotSeries } from '../baseline/seriesCodec.js';
import type { Rules } from '../rules/schema.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { SpikeThresholds, spikeDefaults } from '../rules/thresholds.js';
import { enabledRule, spikeFinding, spikeParams } from './common.js';
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
  const pAuth = spikeParams(rules, 'error-burst.auth-failures', { poisson: true, absSpreadFloor: 1 });
  const pDenied = spikeParams(rules, 'error-burst.denied', { poisson: true, absSpreadFloor: 1 });

  return {
    ...errorBurst.identity,

    createState(ctx): ErrorState {
      return { authFailures: createSeries(pAuth, ctx.bucket), denied: createSeries(pDenied, ctx.bucket) };
    },

    update(event: DetectionEvent, ctx: DetectionContext<ErrorState>): Finding[] {
      if (event.outcome === 'SUCCESS') return NO_FINDINGS;
      const st = ctx.state;
      const b = ctx.bucket;
      if (event.outcome === 'ERROR' && event.action.startsWith('auth.')) {
        const s = st.authFailures;
        if (s.openBucket !== b || s.upperThreshold === -1) touch(s, pAuth, b, null, !ctx.learning);
        s.openValue += 1;
        if (authRule && crossed(s, pAuth)) {
          return [spikeFinding(s, pAuth, null, ctx, { detector: 'error-burst', ruleId: authRule.id, metric: 'count(auth.* ERROR) per bucket', what: 'failed authentications', details: { lastAction: event.action, lastResource: event.resource ?? '' } })];
        }
      } else if (event.outcome === 'DENIED') {
        const s = st.denied;
        if (s.openBucket !== b || s.upperThreshold === -1) touch(s, pDenied, b, null, !ctx.learning);
        s.openValue += 1;
        if (deniedRule && crossed(s, pDenied)) {
          return [spikeFinding(s, pDenied, null, ctx, { detector: 'error-burst', ruleId: deniedRule.id, metric: 'count(DENIED) per bucket', what: 'denied actions', details: { lastAction: event.action, lastResource: event.resource ?? '' } })];
        }
      }
      return NO_FINDINGS;
    },

    flush(ctx: DetectionContext<ErrorState>): Finding[] {
      const st = ctx.state;
      // Error rules look up only (a drop in failures is good news): advance never reports a drop for them.
      if (st.authFailures.openBucket >= 0 && st.authFailures.openBucket < ctx.bucket) advance(st.authFailures, pAuth, ctx.bucket, null);
      if (st.denied.openBucket >= 0 && st.denied.openBucket < ctx.bucket) advance(st.denied, pDenied, ctx.bucket, null);
      return NO_FINDINGS;
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
