/**
 * Replay / clone. Only validly signed events reach `update` (unverified ones
 * go to this detector's unverified aggregator, ../unverified.ts, apart from
 * any agent state: they say nothing about the agent they claim). A
 * signed event whose seq is not above the agent's last seq (reused or going
 * backwards) is a replayed message or a second process holding the agent's
 * key: it is reported and marked untrusted so it trains nothing. Unlike a
 * forged event this does implicate the agent's key, so the alert says to
 * rotate it, and the policy may isolate the agent (by approval by default).
 * (An exact re-send of a recent event is dropped earlier, by the engine:
 * engine/duplicates.ts.)
 *
 * Far-future seqs: the SDK's seq is at least its clock in µs when it sends
 * (shared/telemetry/sequence.ts; otel-ingest's too), so a seq more than
 * `maxSeqLeadMs` past its own event's time is not one the SDK made:
 * `impersonation.seq-jump`. And no seq may blind the agent: the replay mark
 * (`lastSeq`) rises only to an event's time + `maxMarkLeadMs` (1 s), so one
 * signed seq of +10^13 (or +1 day, under the report threshold) cannot make
 * later genuine events look replayed and keep them from every other
 * detector. Capping the mark never flags a genuine event (a source's own
 * seqs only go up); it only lets a replay of an event whose seq ran ahead of
 * its time pass until the agent's time catches up. What is left: an event
 * dated up to the intake's 5 minutes ahead moves the mark that far, and the
 * events it hides each raise seq-replay. The jumped event itself is not a
 * copy of anything, so other detectors see it.
 */
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { enabledRule } from './common.js';
import { getRule } from '../rules/lookup.js';
import type { Rules } from '../rules/schema.js';
import { defineDetector, rule } from './define.js';
import { positiveInt, unit } from '../rules/thresholds.js';
import { createUnverifiedAggregator } from '../unverified.js';
import { z } from 'zod';

export interface ImpersonationState {
  /** Highest seq seen from a valid event (-1: none yet). */
  lastSeq: number;
  lastEventId: string;
}

export const SignatureThresholds = z
  .object({
    scoreMissing: unit,
    scoreInvalid: unit,
    scoreUnknownKey: unit,
    /** Unverified events are aggregated into one alert per claimed agent per window of this length. */
    windowMs: positiveInt.default(300_000),
    /** Claimed identities tracked per window; events for more are counted in one overflow alert (memory stays bounded). */
    maxClaimedAgents: positiveInt.default(1000),
  })
  .strict();

export const SeqThresholds = z
  .object({
    score: unit,
    /** An event raises the replay mark to at most its own time + this (in the seq's µs); the SDK's seqs lead their event time by a few ms at most. */
    maxMarkLeadMs: positiveInt.default(1000),
  })
  .strict();

export const SeqJumpThresholds = z
  .object({
    score: unit,
    /** A seq more than this ahead of its event's time (seq / 1000 - timestamp) is reported; above the intake's 30-day event age, so a late but genuine event never is. */
    maxSeqLeadMs: positiveInt.default(31 * 86_400_000),
  })
  .strict();

/**
 * The one detector unverified events reach: `impersonation.signature` is fired by its unverified-event
 * aggregator (../unverified.ts: per claimed agent and window, no agent state); `impersonation.seq-replay`
 * by `update`, which sees only verified events like every detector's.
 */
export const impersonation = defineDetector({
  name: 'impersonation',
  acceptsUnverified: true,
  unverified: createUnverifiedAggregator,
  rules: {
    'impersonation.signature': rule(SignatureThresholds, {
      description: "Events claim the agent's identity without a valid signature (missing, forged, or an unknown key id): one alert per claimed agent per window; never isolates the claimed agent.",
      severity: 'CRITICAL',
      tags: ['mitre:T1036', 'mitre:T1565'],
      thresholds: { scoreMissing: 0.85, scoreInvalid: 0.95, scoreUnknownKey: 0.9, windowMs: 300_000, maxClaimedAgents: 1000 },
    }),
    'impersonation.seq-replay': rule(SeqThresholds, {
      description: 'A signed event reuses a sequence number or goes backwards: a replayed message or a cloned agent.',
      severity: 'CRITICAL',
      tags: ['mitre:T1036', 'mitre:T1550', 'warden:key-compromise'],
      thresholds: { score: 0.9, maxMarkLeadMs: 1000 },
    }),
    'impersonation.seq-jump': rule(SeqJumpThresholds, {
      description: 'A signed event carries a sequence number far ahead of its own time, which the SDK cannot produce (its seq is the clock in microseconds): a forged sequence, e.g. to make later genuine events look replayed.',
      severity: 'HIGH',
      tags: ['mitre:T1036', 'mitre:T1565', 'warden:key-compromise'],
      thresholds: { score: 0.8, maxSeqLeadMs: 31 * 86_400_000 },
    }),
  },
  create: createImpersonationDetector,
});

export function createImpersonationDetector(rules: Rules): Detector<ImpersonationState> {
  const seqRule = enabledRule(rules, 'impersonation.seq-replay');
  const jumpRule = enabledRule(rules, 'impersonation.seq-jump');
  // Thresholds apply whether or not their rule reports: the mark is protected even with seq-replay alerts off.
  const { maxMarkLeadMs } = getRule(rules, 'impersonation.seq-replay').thresholds;
  const { maxSeqLeadMs } = getRule(rules, 'impersonation.seq-jump').thresholds;

  return {
    ...impersonation.identity,

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
      const leadMs = event.seq / 1000 - event.timestamp;
      if (leadMs > maxSeqLeadMs) return jumpRule ? [seqJumpFinding(event, ctx, leadMs, jumpRule.thresholds.score, st)] : NO_FINDINGS;
      st.lastSeq = Math.max(st.lastSeq, Math.min(event.seq, (event.timestamp + maxMarkLeadMs) * 1000));
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

function seqJumpFinding(event: DetectionEvent, ctx: DetectionContext<ImpersonationState>, leadMs: number, score: number, st: ImpersonationState): Finding {
  const days = (leadMs / 86_400_000).toFixed(1);
  return {
    detector: 'impersonation',
    ruleId: 'impersonation.seq-jump',
    score,
    title: `Sequence number ${days} days ahead of its event time for ${event.agentId}: ${event.seq}`,
    description: `A validly signed event for agent ${event.agentId} has seq ${event.seq}, ${days} days ahead of its own timestamp in microseconds; the SDK's seq is its clock in microseconds, so it did not make this one. The agent's replay mark was left where it was (${st.lastSeq}), so later genuine events are judged as usual. Whoever sent it holds ${event.agentId}'s signing key: rotate the key (add a new key id to the keyring, move the agent to it, then remove the old one).`,
    metric: 'sequence lead over event time (ms)',
    observed: leadMs,
    baseline: { mean: null, std: null, median: null, mad: null, sampleSize: 0, source: 'rule' },
    windowStart: ctx.now,
    windowEnd: ctx.now,
    relatedEventIds: [event.eventId],
    details: { seq: String(event.seq), eventTimestamp: String(event.timestamp), leadMs: String(Math.round(leadMs)), lastSeq: String(st.lastSeq) },
  };
}
