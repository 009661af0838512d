/**
 * Replay / clone. Only validly signed events reach it (unverified ones are
 * aggregated apart, ../unverified.ts, and say nothing about the agent). A
 * signed event whose seq is not above the agent's last seq (reused or going
 * backwards) is a replayed message or a second process holding the agent's
 * key: it is reported and marked untrusted so it trains nothing. Unlike a
 * forged event this does implicate the agent's key, so the alert says to
 * rotate it, and the policy may isolate the agent (by approval by default).
 * (An exact redelivery of the previous event is dropped earlier, by the engine.)
 */
import type { Rules } from '../rules/schema.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { enabledRule } from './common.js';

export interface ImpersonationState {
  /** Highest seq seen from a valid event (-1: none yet). */
  lastSeq: number;
  lastEventId: string;
}

export function createImpersonationDetector(rules: Rules): Detector<ImpersonationState> {
  const seqRule = enabledRule(rules, 'impersonation.seq-replay');

  return {
    name: 'impersonation',
    ruleIds: ['impersonation.seq-replay'],
    acceptsUnverified: false,

    createState(): ImpersonationState {
      return { lastSeq: -1, lastEventId: '' };
    },

    update(event: DetectionEvent, ctx: DetectionContext<ImpersonationState>): Finding[] {
      const st = ctx.state;
      if (st.lastSeq >= 0 && event.seq <= st.lastSeq) {
        if (!seqRule) return NO_FINDINGS;
        const kind = event.seq === st.lastSeq ? 'reused' : 'went backwards';
        return [
          {
            detector: 'impersonation',
            ruleId: seqRule.id,
            score: seqRule.thresholds.score,
            title: `Sequence number ${kind} for ${event.agentId}: ${event.seq} after ${st.lastSeq}`,
            description: `A validly signed event for agent ${event.agentId} has seq ${event.seq}, but the agent already sent seq ${st.lastSeq}; sequence numbers only go up, so this is a replayed message or a second process using the agent's identity. The event was kept out of every baseline. Whoever sent it holds ${event.agentId}'s signing key: rotate the key (add a new key id to the keyring, move the agent to it, then remove the old one).`,
            metric: 'sequence number',
            observed: event.seq,
            baseline: { mean: null, std: null, median: null, mad: null, sampleSize: 0, source: 'rule' },
            windowStart: ctx.now,
            windowEnd: ctx.now,
            relatedEventIds: st.lastEventId ? [event.eventId, st.lastEventId] : [event.eventId],
            details: { seq: String(event.seq), lastSeq: String(st.lastSeq), expectedSeqAbove: String(st.lastSeq), kind, eventTimestamp: String(event.timestamp) },
            untrusted: true,
          },
        ];
      }
      st.lastSeq = event.seq;
      st.lastEventId = event.eventId;
      return NO_FINDINGS;
    },

    flush(): Finding[] {
      return NO_FINDINGS;
    },

    snapshot(st: ImpersonationState): Json {
      return { lastSeq: st.lastSeq, lastEventId: st.lastEventId };
    },

    restore(json: Json): ImpersonationState {
      const o = json as unknown as ImpersonationState;
      return { lastSeq: o.lastSeq, lastEventId: o.lastEventId };
    },
  };
}
