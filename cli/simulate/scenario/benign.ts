/**
 * Labelled benign cases: legitimate traffic that looks odd, each with an alert
 * budget (issue 11: at most 1 alert per case). `npm run eval` reports how many
 * alerts each case drew.
 *
 * producer-retries: the agent's producer did not get Kafka's acknowledgement
 * in time and sent a batch again, though the first copy was written (the SDK
 * is idempotent against broker retries, but not against its own re-send after
 * a timeout, nor otel-ingest against a sender's retry). A few times within
 * half an hour, the agent's last 2-20 events (of the last 10 minutes) arrive
 * again 1-40 s later, byte for byte.
 *
 * workload-doubles: a deploy doubles the agent's workload for good (issue 11,
 * "a legitimate new normal"): from the case's start every ordinary action of
 * the agent happens twice (a second, distinct event 1-120 s later, same kind
 * and sizes). The case is judged over its first day: a sustained shift may
 * raise one alert, then the baseline must learn the new level.
 */
import { activityAt, type DayFactors, type GenEvent } from './traffic.js';
import type { AgentProfile } from './fleet.js';
import type { AgentTrack, InjectedArrival, LateInjection } from './incidents.js';
import { BENIGN_CHANGE_BUDGET, BENIGN_CHANGE_KINDS } from './benignKinds.js';

/** The kinds this file injects; benignChanges.ts adds the others. */
export const SINGLE_AGENT_BENIGN = ['producer-retries', 'workload-doubles'] as const;
export const BENIGN_KINDS = [...SINGLE_AGENT_BENIGN, ...BENIGN_CHANGE_KINDS] as const;
export type BenignKind = (typeof BENIGN_KINDS)[number];

/** Most alerts a case may draw (issue 11: at most 1 each; new-agent-like-peers: see benignChanges.ts). */
export const BENIGN_BUDGET: Record<BenignKind, number> = { 'producer-retries': 1, 'workload-doubles': 1, ...BENIGN_CHANGE_BUDGET };

/** Benign kinds that change the agent's own stream (before seqs are numbered) rather than re-deliver it late. */
export const EARLY_BENIGN: ReadonlySet<BenignKind> = new Set(['workload-doubles']);

const DAY_MS = 86_400_000;

export interface LabelledBenign {
  id: string;
  kind: BenignKind;
  variant: string;
  /** The agent, or for a case over many agents a name for them (group:role:support, tenant-2/finance). */
  agentId: string;
  /** Every id whose alerts the case is charged with (its agents, and their group series); default [agentId]. */
  agentIds?: string[];
  start: number;
  end: number;
  budget: number;
}

const RETRY_SPAN_MS = 30 * 60_000;

export function eligibleBenign(kind: BenignKind, agent: AgentProfile, f: DayFactors, startTs: number, ts: number, endTs: number): boolean {
  // A new normal is judged over a day of it.
  if (kind === 'workload-doubles' && ts + DAY_MS > endTs) return false;
  return activityAt(agent, f, startTs, ts) >= 0.2;
}

/** workload-doubles: adds the second copy of every ordinary action from `start` on to the agent's own stream. */
export function injectBenignEarly(kind: BenignKind, t: AgentTrack, start: number): { end: number; variant: string } {
  if (kind !== 'workload-doubles') throw new Error(`benign kind ${kind} is injected late`);
  const rng = t.rng.fork(0xbe02);
  const copies: GenEvent[] = [];
  for (const e of t.events) {
    if (e.timestamp < start) continue;
    copies.push({ ...e, eventId: `${e.eventId}-w2`, timestamp: e.timestamp + Math.round(rng.uniform(1_000, 120_000)), attributes: { ...e.attributes } });
  }
  t.events.push(...copies);
  return { end: start + DAY_MS, variant: `+${copies.length} events` };
}

export function injectBenignLate(_kind: BenignKind, t: AgentTrack, start: number): LateInjection {
  const rng = t.rng.fork(0xbe01);
  return (events: GenEvent[]) => {
    const arrivals: InjectedArrival[] = [];
    const retries = rng.int(2, 4);
    let resent = 0;
    for (let r = 0; r < retries; r++) {
      const at = start + rng.uniform(0, RETRY_SPAN_MS);
      const upTo = events.findLastIndex((e) => e.timestamp <= at);
      const size = rng.int(2, 20);
      const delayMs = rng.uniform(1_000, 40_000);
      for (let i = Math.max(0, upTo - size + 1); i <= upTo; i++) {
        const e = events[i]!;
        if (at - e.timestamp > 10 * 60_000) continue;
        arrivals.push({ arrival: at + delayMs, event: { ...e, attributes: { ...e.attributes } } });
        resent++;
      }
    }
    return { arrivals, end: start + RETRY_SPAN_MS + 60_000, variant: `${retries} re-sends, ${resent} events` };
  };
}
