/**
 * Rate spike: actions per bucket, per agent (rule rate-spike.agent) and per
 * (agent, action) (rule rate-spike.action), against the rolling robust +
 * seasonal baseline of baseline/series.ts. While an agent warms up, its total
 * is compared with its role's profile (peer baseline) instead.
 * Related event ids are the agent's last ten events.
 */
import { createSeries, crossed, advance, touch, type SeriesState } from '../baseline/series.js';
import { restoreSeries, snapshotSeries } from '../baseline/seriesCodec.js';
import type { PeerSeries } from '../baseline/peers.js';
import { createArena, type BaselineArena } from '../baseline/arena.js';
import type { Rules } from '../rules/schema.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { SpikeThresholds, spikeDefaults } from '../rules/thresholds.js';
import { dropFinding, enabledRule, spikeFinding, spikeParams } from './common.js';
import { defineDetector, rule } from './define.js';

export interface RateState {
  agent: SeriesState;
  actions: Map<string, SeriesState>;
  /** Holds the windows and profiles of all of them (one typed array, not one per series). */
  arena: BaselineArena;
}

const OTHER = '(other)';
const PEER_KEY = 'rate:agent';

export const rateSpike = defineDetector({
  name: 'rate-spike',
  acceptsUnverified: false,
  rules: {
    'rate-spike.agent': rule(SpikeThresholds, {
      description: 'The agent takes far more actions in a bucket than its own history (or its role, while it is new) predicts.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM06', 'owasp-llm:LLM10', 'atlas:AML.T0029', 'mitre:T1498'],
      thresholds: spikeDefaults('both', 6, 3, 0, null, 6),
    }),
    'rate-spike.action': rule(SpikeThresholds, {
      description: 'One kind of action (tool calls, reads, payments...) bursts far above its own history for this agent.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM06', 'atlas:AML.T0053', 'mitre:T1078'],
      thresholds: spikeDefaults('up', 7, 4, 0, null, null),
    }),
  },
  create: createRateSpikeDetector,
});

export function createRateSpikeDetector(rules: Rules): Detector<RateState> {
  const agentRule = enabledRule(rules, 'rate-spike.agent');
  const actionRule = enabledRule(rules, 'rate-spike.action');
  const pAgent = spikeParams(rules, 'rate-spike.agent', { poisson: true, absSpreadFloor: 1, accumulation: true });
  const pAction = spikeParams(rules, 'rate-spike.action', { poisson: true, absSpreadFloor: 1 });
  const maxActions = rules.engine.maxActionSeriesPerAgent;

  const peerOf = (ctx: DetectionContext<RateState>): PeerSeries => ctx.peers.series(ctx.agentRole, PEER_KEY);

  return {
    ...rateSpike.identity,

    createState(ctx): RateState {
      const arena = createArena();
      return { agent: createSeries(pAgent, ctx.bucket, arena), actions: new Map(), arena };
    },

    update(event: DetectionEvent, ctx: DetectionContext<RateState>): Finding[] {
      const st = ctx.state;
      const b = ctx.bucket;
      let out: Finding[] = NO_FINDINGS;

      const s = st.agent;
      if (s.openBucket !== b || s.upperThreshold === -1) {
        const drop = touch(s, pAgent, b, peerOf(ctx), ctx.zone, !ctx.learning);
        if (drop && agentRule) out = [dropFinding(drop, pAgent, s, ctx, { detector: 'rate-spike', ruleId: agentRule.id, metric: 'count(*) per bucket', what: 'actions' })];
      }
      s.openValue += 1;
      if (agentRule && crossed(s, pAgent)) {
        const f = spikeFinding(s, pAgent, s.source === 2 ? peerOf(ctx) : null, ctx, { detector: 'rate-spike', ruleId: agentRule.id, metric: 'count(*) per bucket', what: 'actions' });
        out = out === NO_FINDINGS ? [f] : [...out, f];
      }

      let key = event.action;
      let a = st.actions.get(key);
      if (a === undefined) {
        if (st.actions.size >= maxActions) {
          key = OTHER;
          a = st.actions.get(OTHER);
        }
        if (a === undefined) {
          // A new action's series starts with the agent: the quiet past counts as zeros.
          a = createSeries(pAction, Math.floor(ctx.agentFirstSeen / pAction.bucketMs), st.arena);
          st.actions.set(key, a);
        }
      }
      if (a.openBucket !== b || a.upperThreshold === -1) {
        const drop = touch(a, pAction, b, null, ctx.zone, !ctx.learning);
        if (drop && actionRule) {
          const f = dropFinding(drop, pAction, a, ctx, { detector: 'rate-spike', ruleId: actionRule.id, metric: `count(${key}) per bucket`, what: `${key} actions`, details: { action: key } });
          out = out === NO_FINDINGS ? [f] : [...out, f];
        }
      }
      a.openValue += 1;
      if (actionRule && crossed(a, pAction)) {
        const f = spikeFinding(a, pAction, null, ctx, { detector: 'rate-spike', ruleId: actionRule.id, metric: `count(${key}) per bucket`, what: `${key} actions`, details: { action: key } });
        out = out === NO_FINDINGS ? [f] : [...out, f];
      }
      return out;
    },

    flush(ctx: DetectionContext<RateState>): Finding[] {
      const st = ctx.state;
      let out: Finding[] = NO_FINDINGS;
      if (st.agent.openBucket >= 0 && st.agent.openBucket < ctx.bucket) {
        const drop = advance(st.agent, pAgent, ctx.bucket, peerOf(ctx), ctx.zone);
        if (drop && agentRule) out = [dropFinding(drop, pAgent, st.agent, ctx, { detector: 'rate-spike', ruleId: agentRule.id, metric: 'count(*) per bucket', what: 'actions' })];
      }
      for (const [key, a] of st.actions) {
        if (a.openBucket < 0 || a.openBucket >= ctx.bucket) continue;
        const drop = advance(a, pAction, ctx.bucket, null, ctx.zone);
        if (drop && actionRule) out = [...out, dropFinding(drop, pAction, a, ctx, { detector: 'rate-spike', ruleId: actionRule.id, metric: `count(${key}) per bucket`, what: `${key} actions`, details: { action: key } })];
      }
      return out;
    },

    snapshot(st: RateState): Json {
      // Entries, not an object: action names come from the events (think "__proto__").
      const actions: Json[] = [];
      for (const [k, s] of st.actions) actions.push([k, snapshotSeries(s)]);
      return { agent: snapshotSeries(st.agent), actions };
    },

    restore(json: Json): RateState {
      const o = json as { agent: Json; actions: [string, Json][] };
      const arena = createArena();
      return { agent: restoreSeries(o.agent, pAgent, arena), actions: new Map(o.actions.map(([k, v]) => [k, restoreSeries(v, pAction, arena)])), arena };
    },
  };
}
