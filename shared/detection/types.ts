/**
 * The contract every detector implements, and the values that flow through
 * the engine. Nothing here does I/O or reads a clock: time is the event's.
 */
import type { AgentActionEvent } from '../schemas/generated.js';
import type { PeerGroups } from './baseline/peers.js';
import type { TimeZone } from './timeZone.js';

/** Signature status, decided by the caller (the service verifies the HMAC headers; replay trusts its file). Same values as shared/signing's `Verification`. */
export type Verification = 'valid' | 'missing' | 'invalid' | 'unknown-key';

/** A decoded event plus the caller's verdict on its signature. Only `valid` events train baselines. */
export type DetectionEvent = AgentActionEvent & { verification: Verification };

export type BaselineSource = 'agent' | 'peer' | 'rule';

/** The baseline an observation was judged against (copied into Alert.evidence). */
export interface BaselineStats {
  mean: number | null;
  std: number | null;
  median: number | null;
  mad: number | null;
  sampleSize: number;
  source: BaselineSource;
}

/** What a detector reports; the engine turns findings into alerts (ids, severity, cooldown). */
export interface Finding {
  detector: string;
  ruleId: string;
  /** 0..1; 0.5 means "just over the rule's threshold". */
  score: number;
  title: string;
  description: string;
  /** e.g. `count(data.read) per bucket`, `bytesOut per bucket`, `resource first seen`. */
  metric: string;
  observed: number;
  baseline: BaselineStats;
  windowStart: number;
  windowEnd: number;
  relatedEventIds: string[];
  details: Record<string, string>;
  /**
   * Set by impersonation when the event itself is not genuine new activity
   * (a replayed sequence number): the engine then keeps it away from every
   * other detector, so it trains nothing.
   */
  untrusted?: boolean;
  /**
   * The incident this finding opens or joins stays open at least this long after it, whatever the cooldown
   * (engine/incidents.ts): a level shift that its detector is still accepting as a new normal keeps the other
   * sides of the same change (an accumulation, an action's rate) in its one alert.
   */
  holdIncidentMs?: number;
}

/**
 * Per-call context. The engine reuses one object for every call (no per-event
 * allocation) and points `state` at the current agent's state for the
 * detector being called. Detectors must not keep a reference to it.
 */
export interface DetectionContext<S = unknown> {
  /** This agent's state for this detector (created by `createState`). */
  state: S;
  agentId: string;
  agentRole: string;
  /** Event time used for windows: max(event.timestamp, agent's latest event time), so late events land in the open bucket. */
  now: number;
  /** floor(now / bucketMs). */
  bucket: number;
  bucketMs: number;
  /** Event time of the agent's first verified event. */
  agentFirstSeen: number;
  /** True while now - agentFirstSeen < learningPeriodMs. */
  learning: boolean;
  /**
   * The agent's time zone (rules `engine.timezones`: its own, else its role's, else the default), resolved once per
   * agent slot: every hour-of-day, hour-of-week and day-class computation for this agent uses it.
   */
  zone: TimeZone;
  /** Role-level shared state (peer baselines, peer seen-sets). Not part of any agent's snapshot. */
  peers: PeerGroups;
  /** The agent's last ≤ 10 verified event ids, newest last (for evidence). */
  recentEventIds(): string[];
}

/** JSON-safe values: what snapshots are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A detector is a plain object: per-agent state lives outside it (in the
 * engine's agent slot), so the same detector serves every agent, and an
 * agent's state can move between processes as compact JSON.
 */
export interface Detector<S = unknown> {
  /** rate-spike, volume-spike, error-burst, unusual-access, off-hours, impersonation, injection, slow-ramp. */
  readonly name: string;
  /** Rule ids (from the rules file) this detector can fire. */
  readonly ruleIds: readonly string[];
  /** From its declaration (detectors/define.ts): never `update` with an unverified event; when true, its unverified aggregator takes them (only impersonation). */
  readonly acceptsUnverified: boolean;
  createState(ctx: DetectionContext<undefined>): S;
  /** Observe one event; return findings (usually the shared empty array). */
  update(event: DetectionEvent, ctx: DetectionContext<S>): Finding[];
  /** Close every bucket before `ctx.bucket` (idle agent, end of a replay). May return findings evaluated at bucket close. */
  flush(ctx: DetectionContext<S>): Finding[];
  /** Plain JSON; `restore(JSON.parse(JSON.stringify(snapshot(s))))` behaves exactly like `s`. */
  snapshot(state: S): Json;
  restore(json: Json): S;
}

/** Shared empty result: detectors return it when nothing fired (the engine never mutates it). */
export const NO_FINDINGS: Finding[] = Object.freeze([]) as unknown as Finding[];
