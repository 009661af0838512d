/**
 * Unverified events (no signature, a forged one, an unknown key id) say
 * nothing about the agent they claim to be: anyone who can write
 * agent.events can send them. So they never reach a detector, never create
 * per-agent state that lasts, and never train. What they do say is that
 * someone is writing under another identity, and where (partition, offsets):
 * that is one aggregated alert per claimed agent per window.
 *
 * Bounded by construction: one window open at a time (the caller's clock:
 * the detector's receive time live, the event time in a replay), at most
 * `maxClaimedAgents` claimed identities tracked in it, and every event beyond
 * that counted in one overflow alert. Nothing here is snapshotted: a restart
 * forgets the open window, and a redelivered event in the same window gives
 * the same alert id, so nothing is doubled.
 *
 * Alerts carry the tag `warden:unverified`; the response gate refuses to
 * isolate anyone for them (shared/response), on every path.
 */
import type { Alert } from '../schemas/generated.js';
import { alertIdFor, MAX_RELATED_EVENTS, severityFor } from './engine/alerts.js';
import { getRule } from './rules/lookup.js';
import type { Rules } from './rules/schema.js';
import type { DetectionEvent, Verification } from './types.js';

export const UNVERIFIED_TAG = 'warden:unverified';
export const UNVERIFIED_RULE_ID = 'impersonation.signature';
/** Agent id of the overflow alert: not an agent (the intake refuses `*` as an agentId), the whole input. */
export const OVERFLOW_AGENT_ID = '*';

export type UnverifiedKind = Exclude<Verification, 'valid'>;

/** Where the record came from; offsets are what a SOC needs to find the writer. */
export interface UnverifiedSource {
  /** Time that places the event in a window (ms). */
  atMs: number;
  partition?: number;
  offset?: string;
}

export interface UnverifiedStats {
  events: number;
  /** Claimed identities in the open window. */
  trackedAgents: number;
  /** Events not tracked per agent because the cap was reached (open window). */
  overflowEvents: number;
  /** Every overflow event since start. */
  overflowEventsTotal: number;
  alerts: number;
}

export interface UnverifiedAggregator {
  /** Count one unverified event; returns the alert when it opens a claimed agent's window (or the overflow). */
  observe(event: DetectionEvent, source: UnverifiedSource): Alert[];
  /** Close the window if `atMs` lies past it: final counts for every entry that grew since its first alert. */
  flush(atMs: number): Alert[];
  stats(): UnverifiedStats;
}

interface Entry {
  agentId: string;
  claimedRole: string;
  claimedTenant: string;
  byKind: Record<UnverifiedKind, number>;
  count: number;
  emittedCount: number;
  firstAt: number;
  lastAt: number;
  /** partition -> [first offset, last offset] as seen. */
  offsets: Map<number, [string, string]>;
  eventIds: string[];
  actions: Set<string>;
}

/** Attacker-chosen strings are cut before they reach an alert. */
const MAX_FIELD = 128;
const MAX_PARTITIONS_LISTED = 16;
const MAX_ACTIONS_LISTED = 8;
const cut = (s: string | null | undefined): string => (s ?? '').slice(0, MAX_FIELD);

const WHY: Record<UnverifiedKind, string> = {
  missing: 'carry no signature',
  invalid: 'carry a signature that does not verify (forged or tampered)',
  'unknown-key': 'are signed with a key id this agent does not have',
};

export function createUnverifiedAggregator(rules: Rules): UnverifiedAggregator {
  const rule = getRule(rules, UNVERIFIED_RULE_ID);
  const { windowMs, maxClaimedAgents } = rule.thresholds;
  const scoreOf: Record<UnverifiedKind, number> = { missing: rule.thresholds.scoreMissing, invalid: rule.thresholds.scoreInvalid, 'unknown-key': rule.thresholds.scoreUnknownKey };
  const entries = new Map<string, Entry>();
  let windowStart = -Infinity;
  let overflow: Entry | null = null;
  const totals = { events: 0, overflowEventsTotal: 0, alerts: 0 };

  function newEntry(agentId: string, event: DetectionEvent, at: number): Entry {
    return { agentId, claimedRole: cut(event.agentRole), claimedTenant: cut(event.tenantId), byKind: { missing: 0, invalid: 0, 'unknown-key': 0 }, count: 0, emittedCount: 0, firstAt: at, lastAt: at, offsets: new Map(), eventIds: [], actions: new Set() };
  }

  function note(entry: Entry, event: DetectionEvent, kind: UnverifiedKind, source: UnverifiedSource, at: number): void {
    entry.count++;
    entry.byKind[kind]++;
    entry.lastAt = Math.max(entry.lastAt, at);
    if (source.partition !== undefined && source.offset !== undefined) {
      const span = entry.offsets.get(source.partition);
      if (span) span[1] = source.offset;
      else if (entry.offsets.size < MAX_PARTITIONS_LISTED) entry.offsets.set(source.partition, [source.offset, source.offset]);
    }
    if (entry.eventIds.length < MAX_RELATED_EVENTS) entry.eventIds.push(cut(event.eventId));
    if (entry.actions.size < MAX_ACTIONS_LISTED) entry.actions.add(cut(event.action));
  }

  function toAlert(entry: Entry, isOverflow: boolean): Alert {
    const kinds = (Object.keys(entry.byKind) as UnverifiedKind[]).filter((k) => entry.byKind[k] > 0);
    const score = Math.round(Math.max(...kinds.map((k) => scoreOf[k])) * 100);
    const offsets = [...entry.offsets].map(([p, [first, last]]) => `${p}:${first}-${last}`).join(',');
    const windowEnd = windowStart + windowMs;
    const title = isOverflow
      ? `Unverified events beyond the tracking cap: ${entry.count} events in this window`
      : `Unverified events claim to be ${entry.agentId}: ${entry.count} in this window (${kinds.join(', ')})`;
    const description = isOverflow
      ? `More than ${maxClaimedAgents} agent identities were claimed by unverified events within ${windowMs / 1000} s; the ${entry.count} events beyond that cap are counted here only. Someone with write access to agent.events is sending unsigned or forged events at scale: find the writer from the source partitions and offsets. No agent is isolated for this and no baseline learned from it.`
      : `${entry.count} events claiming agent ${entry.agentId} ${kinds.map((k) => WHY[k]).join('; ')}. They were kept out of every baseline and say nothing about ${entry.agentId}'s own behaviour, so it is not isolated for them: someone else with write access to agent.events uses its name. Find the writer from the source partitions and offsets; if they are signed with a key id you do not know, check for a leaked or stale keyring.`;
    return {
      alertId: alertIdFor(rule.id, entry.agentId, windowStart),
      agentId: entry.agentId,
      agentRole: isOverflow ? 'fleet' : entry.claimedRole,
      tenantId: isOverflow ? 'all' : entry.claimedTenant,
      detector: rule.detector,
      ruleId: rule.id,
      title,
      description,
      severity: isOverflow ? rule.severity : severityFor(rule.severity, score),
      score,
      firstSeen: entry.firstAt,
      lastSeen: entry.lastAt,
      count: entry.count,
      evidence: {
        metric: 'unverified events per window',
        observed: entry.count,
        baselineMean: null,
        baselineStd: null,
        baselineMedian: null,
        baselineMad: null,
        sampleSize: 0,
        baselineSource: 'rule',
        windowStart,
        windowEnd,
        relatedEventIds: [...entry.eventIds],
        details: {
          missing: String(entry.byKind.missing),
          invalid: String(entry.byKind.invalid),
          unknownKey: String(entry.byKind['unknown-key']),
          sourceOffsets: offsets,
          actions: [...entry.actions].join(','),
          ...(isOverflow ? { maxClaimedAgents: String(maxClaimedAgents) } : { claimedRole: entry.claimedRole, claimedTenant: entry.claimedTenant }),
        },
      },
      tags: [...rule.tags, UNVERIFIED_TAG],
    };
  }

  function emit(entry: Entry, isOverflow: boolean, out: Alert[]): void {
    out.push(toAlert(entry, isOverflow));
    entry.emittedCount = entry.count;
    totals.alerts++;
  }

  function closeWindow(out: Alert[]): void {
    for (const entry of entries.values()) if (entry.count > entry.emittedCount) emit(entry, false, out);
    if (overflow && overflow.count > overflow.emittedCount) emit(overflow, true, out);
    entries.clear();
    overflow = null;
  }

  function flush(atMs: number): Alert[] {
    if (atMs < windowStart + windowMs) return [];
    const out: Alert[] = [];
    closeWindow(out);
    windowStart = Math.floor(atMs / windowMs) * windowMs;
    return out;
  }

  return {
    observe(event, source) {
      if (!rule.enabled || event.verification === 'valid') return [];
      totals.events++;
      const kind = event.verification;
      const out = flush(source.atMs);
      if (windowStart === -Infinity) windowStart = Math.floor(source.atMs / windowMs) * windowMs;
      // A late event (replay out of order, a clock step back) counts in the open window.
      const at = Math.max(source.atMs, windowStart);
      const agentId = cut(event.agentId);
      let entry = entries.get(agentId);
      if (!entry) {
        if (entries.size >= maxClaimedAgents) {
          totals.overflowEventsTotal++;
          overflow ??= newEntry(OVERFLOW_AGENT_ID, event, at);
          note(overflow, event, kind, source, at);
          if (overflow.emittedCount === 0) emit(overflow, true, out);
          return out;
        }
        entry = newEntry(agentId, event, at);
        entries.set(agentId, entry);
      }
      note(entry, event, kind, source, at);
      if (entry.emittedCount === 0) emit(entry, false, out);
      return out;
    },
    flush,
    stats: () => ({ events: totals.events, trackedAgents: entries.size, overflowEvents: overflow?.count ?? 0, overflowEventsTotal: totals.overflowEventsTotal, alerts: totals.alerts }),
  };
}
