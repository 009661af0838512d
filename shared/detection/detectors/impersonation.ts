/**
 * Impersonation / replay. The caller verifies signatures (the service checks
 * the HMAC headers against the keyring) and passes the verdict in
 * `event.verification`; anything but `valid` is a finding here and reaches
 * no other detector. A signed event whose seq is not above the agent's last
 * seq (reused or going backwards) is a replayed message or a cloned agent:
 * it is reported and marked untrusted so it trains nothing either.
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

const REASON = {
  missing: 'carries no signature',
  invalid: 'has a signature that does not verify (forged or tampered)',
  'unknown-key': 'is signed with a key id this agent does not have',
} as const;

export function createImpersonationDetector(rules: Rules): Detector<ImpersonationState> {
  const sigRule = enabledRule(rules, 'impersonation.signature');
  const seqRule = enabledRule(rules, 'impersonation.seq-replay');

  return {
    name: 'impersonation',
    ruleIds: ['impersonation.signature', 'impersonation.seq-replay'],
    acceptsUnverified: true,

    createState(): ImpersonationState {
      return { lastSeq: -1, lastEventId: '' };
    },

    update(event: DetectionEvent, ctx: DetectionContext<ImpersonationState>): Finding[] {
      const v = event.verification;
      if (v !== 'valid') {
        if (!sigRule) return NO_FINDINGS;
        const th = sigRule.thresholds;
        const score = v === 'missing' ? th.scoreMissing : v === 'unknown-key' ? th.scoreUnknownKey : th.scoreInvalid;
        return [
          {
            detector: 'impersonation',
            ruleId: sigRule.id,
            score,
            title: `Unverified event claims to be ${event.agentId} (${v} signature)`,
            description: `An event claiming agent ${event.agentId} (${event.action} on ${event.resource ?? 'no resource'}) ${REASON[v] ?? 'is not verified'}. It was kept out of every baseline.`,
            metric: 'signature verification',
            observed: 1,
            baseline: { mean: null, std: null, median: null, mad: null, sampleSize: 0, source: 'rule' },
            windowStart: event.timestamp,
            windowEnd: event.timestamp,
            relatedEventIds: [event.eventId],
            details: { verification: v, claimedRole: event.agentRole, claimedSeq: String(event.seq), action: event.action, resource: event.resource ?? '', target: event.target ?? '' },
          },
        ];
      }
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
            description: `A validly signed event for agent ${event.agentId} has seq ${event.seq}, but the agent already sent seq ${st.lastSeq}; sequence numbers only go up, so this is a replayed message or a second process using the agent's identity. The event was kept out of every baseline.`,
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
