/**
 * Rate spike: actions per bucket, per agent (rule rate-spike.agent) and per
 * (agent, action) (rule rate-spike.action), against the rolling robust +
 * seasonal baseline of baseline/series.ts. While an agent warms up, its total
 * is compared with its role's profile (peer baseline) instead.
 * Related event ids are the agent's last ten events.
 */
import { createSeries, crossed, advance, restoreSeries, snapshotSeries, touch, type SeriesState } from '../baseline/series.js';
import type { PeerSeries } from '../baseline/peers.js';
import type { Rules } from '../rules/schema.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { enabledRule, spikeFinding, spikeParams } from './common.js';

export interface RateState {
  agent: SeriesState;
  actions: Map<string, SeriesState>;
}

const OTHER = '(other)';
const PEER_KEY = 'rate:agent';

export function createRateSpikeDetector(rules: Rules): Detector<RateState> {
  const agentRule = enabledRule(rules, 'rate-spike.agent');
  const actionRule = enabledRule(rules, 'rate-spike.action');
  const pAgent = spikeParams(rules, 'rate-spike.agent', { poisson: true, absSpreadFloor: 1 });
  const pAction = spikeParams(rules, 'rate-spike.action', { poisson: true, absSpreadFloor: 1 });
  const maxActions = rules.engine.maxActionSeriesPerAgent;

  const peerOf = (ctx: DetectionContext<RateState>): PeerSeries => ctx.peers.series(ctx.agentRole, PEER_KEY);

  return {
    name: 'rate-spike',
    ruleIds: ['rate-spike.agent', 'rate-spike.action'],
    acceptsUnverified: false,

    createState(ctx): RateState {
      return { agent: createSeries(pAgent, ctx.bucket), actions: new Map() };
    },

    update(event: DetectionEvent, ctx: DetectionContext<RateState>): Finding[] {
      const st = ctx.state;
      const b = ctx.bucket;
      let out: Finding[] = NO_FINDINGS;

      const s = st.agent;
      if (s.b !== b || s.t === -1) touch(s, pAgent, b, peerOf(ctx), !ctx.learning);
      s.x += 1;
      if (agentRule && crossed(s, pAgent)) {
        out = [spikeFinding(s, pAgent, s.src === 2 ? peerOf(ctx) : null, ctx, { detector: 'rate-spike', ruleId: agentRule.id, metric: 'count(*) per bucket', what: 'actions' })];
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
          a = createSeries(pAction, Math.floor(ctx.agentFirstSeen / pAction.bucketMs));
          st.actions.set(key, a);
        }
      }
      if (a.b !== b || a.t === -1) touch(a, pAction, b, null, !ctx.learning);
      a.x += 1;
      if (actionRule && crossed(a, pAction)) {
        const f = spikeFinding(a, pAction, null, ctx, { detector: 'rate-spike', ruleId: actionRule.id, metric: `count(${key}) per bucket`, what: `${key} actions`, details: { action: key } });
        out = out === NO_FINDINGS ? [f] : [...out, f];
      }
      return out;
    },

    flush(ctx: DetectionContext<RateState>): Finding[] {
      const st = ctx.state;
      if (st.agent.b >= 0 && st.agent.b < ctx.bucket) advance(st.agent, pAgent, ctx.bucket, peerOf(ctx));
      for (const a of st.actions.values()) if (a.b >= 0 && a.b < ctx.bucket) advance(a, pAction, ctx.bucket, null);
      return NO_FINDINGS;
    },

    snapshot(st: RateState): Json {
      // Entries, not an object: action names come from the events (think "__proto__").
      const actions: Json[] = [];
      for (const [k, s] of st.actions) actions.push([k, snapshotSeries(s)]);
      return { agent: snapshotSeries(st.agent), actions };
    },

    restore(json: Json): RateState {
      const o = json as { agent: Json; actions: [string, Json][] };
      return { agent: restoreSeries(o.agent), actions: new Map(o.actions.map(([k, v]) => [k, restoreSeries(v)])) };
    },
  };
}
