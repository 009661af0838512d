/**
 * The engine: events in (one agent's events in order), alerts out. Pure and
 * deterministic: event time only, no clock, no I/O, no randomness.
 *
 * Per event:
 *  1. verification !== 'valid' -> no detector's update sees it and no agent
 *     slot is made: only the aggregators of detectors that declare
 *     acceptsUnverified do, per claimed agent and window (unverifiedRoute.ts).
 *  2. An exact re-send of one of the agent's last 64 trusted events, dated
 *     within 15 min of its latest (same seq, eventId and fields:
 *     engine/duplicates.ts), is dropped (counted in stats.duplicates), not
 *     alerted; an older copy is a replay.
 *  3. Event time: now = max(timestamp, agent's latest time), so a late event
 *     counts in the open bucket; buckets never reopen.
 *  4. Impersonation runs first; a seq replay marks the event untrusted and
 *     no other detector sees it (a seq far ahead of the event's time is
 *     reported but does not hide later events: detectors/impersonation.ts).
 *  5. Each other detector updates the agent's state; findings pass the
 *     rule's agent exceptions and become alerts through the cooldown book
 *     (engine/incidents.ts).
 *
 * Buckets close lazily when an agent's event falls in a later bucket, or by
 * `flush(upToTs)` (end of a replay, idle agents).
 * Per-agent state (detectors + incidents + clock) round-trips through
 * `snapshotAgent`/`restoreAgent` as plain JSON. Role-level peer state is
 * shared by agents and snapshotted apart (`snapshotPeers`/`restorePeers`).
 */
import type { Alert } from '../../schemas/generated.js';
import { PeerGroups } from '../baseline/peers.js';
import { createDetectors, createUnverifiedAggregators } from '../detectors/registry.js';
import { nameSeeds } from '../baseline/seenSet.js';
import type { RuleDef, Rules } from '../rules/schema.js';
import type { DetectionContext, DetectionEvent, Detector, Finding, Json } from '../types.js';
import { MAX_RELATED_EVENTS } from './alerts.js';
import { expireIncidents, recordFinding, type Incident, type IncidentBook } from './incidents.js';
import { SnapshotVersionError } from '../baseline/seriesCodec.js';
import { SnapshotBytesError, decodeSnapshot, encodeSnapshot } from './snapshotBytes.js';
import type { UnverifiedSource, UnverifiedStats } from '../unverified.js';
import { routeUnverified } from './unverifiedRoute.js';
import { UTC, createZoneResolver, type TimeZone } from '../timeZone.js';
import { DUPLICATE_MAX_AGE_MS, createRecentEvents, eventDigest, isRecentDuplicate, rememberEvent, restoreRecent, snapshotRecent, type RecentEvents, type RecentEventsSnapshot } from './duplicates.js';
import { inEngineShape } from './eventShape.js';
import { StringPool } from './stringPool.js';

export interface EngineOptions {
  /** Only these detectors (names as in DETECTOR_NAMES); default: every detector with an enabled rule. */
  detectors?: readonly string[];
  /**
   * A deployment's secret for the hashes that agents' remembered names are kept as (baseline/seenSet.ts): with it
   * an agent cannot compute offline a new name that reads as one it already uses. Unset: unkeyed (replay, tests,
   * evaluations; the detector service warns). Changing it makes every remembered name read as new once.
   */
  nameHashSecret?: string;
}

export interface EngineStats {
  events: number;
  unverified: number;
  duplicates: number;
  untrusted: number;
  lateEvents: number;
  findings: number;
  alertsRaised: number;
  alertUpdates: number;
  /** Agent snapshots refused by restoreAgent (an older or unknown format: the agent's baselines start afresh). */
  refusedSnapshots: number;
}

/** Version 2: series states with named fields (baseline/seriesCodec.ts). Version 1 (positional tuples) is refused. */
export const AGENT_SNAPSHOT_VERSION = 2;

export interface AgentSnapshot {
  v: typeof AGENT_SNAPSHOT_VERSION;
  agentId: string;
  role: string;
  tenant: string;
  firstSeen: number;
  clock: number;
  bucket: number;
  lastEventId: string;
  lastSeq: number;
  ids: string[];
  incidents: [string, Incident][];
  detectors: { [name: string]: Json };
  /** The duplicate window (engine/duplicates.ts); absent in snapshots saved before it existed. */
  recent?: RecentEventsSnapshot;
}

export interface Engine {
  readonly rules: Rules;
  /** Feed one event; returns the alerts raised (new incidents) or updated (same alertId, higher count). Unverified events go to `observeUnverified` with the event time. */
  process(event: DetectionEvent): Alert[];
  /**
   * An unverified event with where it came from; `source.atMs` places it in an aggregation window (live: the
   * receive time, which the sender does not choose). Creates no agent state (shared/detection/unverified.ts).
   */
  observeUnverified(event: DetectionEvent, source: UnverifiedSource): Alert[];
  /** Close the unverified-event window if `atMs` is past it (live: the receive clock; `flush` does it by event time). */
  flushUnverified(atMs: number): Alert[];
  /** Close every bucket that ends at or before `upToTs` for every agent, and expire quiet incidents. */
  flush(upToTs: number): Alert[];
  /** The agent's state as plain JSON (null if unknown). */
  snapshotAgent(agentId: string): AgentSnapshot | null;
  /** Replace the agent's state with a snapshot (from this or another process). Throws SnapshotVersionError (counted) for an old or unknown format. */
  restoreAgent(agentId: string, state: AgentSnapshot): void;
  /** The agent's snapshot as compact bytes (engine/snapshotBytes.ts; null if unknown): what goes to Redis. */
  snapshotAgentBytes(agentId: string): Uint8Array | null;
  /** Restore from `snapshotAgentBytes` output. Throws SnapshotVersionError or SnapshotBytesError (both counted in refusedSnapshots). */
  restoreAgentBytes(agentId: string, bytes: Uint8Array): void;
  /** Forget an agent (e.g. its partition moved away). */
  dropAgent(agentId: string): boolean;
  agentIds(): string[];
  snapshotPeers(): Json;
  restorePeers(state: Json): void;
  stats(): EngineStats;
  unverifiedStats(): UnverifiedStats;
}

interface AgentSlot {
  agentId: string;
  role: string;
  tenant: string;
  /** The agent's time zone, from the rules (by agent id, else role): config, resolved again on restore, never snapshotted. */
  zone: TimeZone;
  /** First verified event time (-1: only unverified events so far). */
  firstSeen: number;
  clock: number;
  bucket: number;
  lastEventId: string;
  lastSeq: number;
  ids: string[];
  idHead: number;
  /** The last trusted events' (seq, digest), to recognise a re-sent batch. */
  recent: RecentEvents;
  states: unknown[];
  incidents: IncidentBook;
}

export function createEngine(rules: Rules, options: EngineOptions = {}): Engine {
  const detectors: Detector<unknown>[] = createDetectors(rules, options.detectors, undefined, { nameSeeds: nameSeeds(options.nameHashSecret) });
  const impersonationIndex = detectors.findIndex((d) => d.name === 'impersonation');
  const ruleById = new Map<string, RuleDef>(rules.rules.map((r) => [r.id, r]));
  const exceptions = new Map<string, RegExp[]>(rules.rules.map((r) => [r.id, r.exceptAgents.map((p) => new RegExp(`^(?:${p})$`))]));
  // The incident each rule's findings join: its group's, or its own (engine/incidents.ts).
  const incidentKey = new Map<string, string>(rules.rules.map((r) => [r.id, r.id]));
  for (const group of rules.incidentGroups) for (const ruleId of group.rules) incidentKey.set(ruleId, `group:${group.id}`);
  const { bucketMs, learningPeriodMs, cooldownMs } = rules.engine;
  const agents = new Map<string, AgentSlot>();
  /** Names restored agents keep in state, one copy for every agent (stringPool.ts). */
  const strings = new StringPool();
  const zoneOf = createZoneResolver(rules.engine.timezones);
  let peers = new PeerGroups();
  // Only the aggregators of detectors that declare acceptsUnverified (impersonation) see unverified events.
  const unverified = routeUnverified(createUnverifiedAggregators(rules, options.detectors));
  const stats: EngineStats = { events: 0, unverified: 0, duplicates: 0, untrusted: 0, lateEvents: 0, findings: 0, alertsRaised: 0, alertUpdates: 0, refusedSnapshots: 0 };

  let current: AgentSlot | null = null;
  const ctx: DetectionContext<unknown> = {
    state: undefined,
    agentId: '',
    agentRole: '',
    now: 0,
    bucket: 0,
    bucketMs,
    agentFirstSeen: 0,
    learning: true,
    zone: UTC,
    peers,
    recentEventIds(): string[] {
      const slot = current;
      if (!slot) return [];
      const n = slot.ids.length;
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(slot.ids[(slot.idHead + i) % n]!);
      return out;
    },
  };

  function newSlot(agentId: string, role: string, tenant: string): AgentSlot {
    return { agentId, role, tenant, zone: zoneOf(agentId, role), firstSeen: -1, clock: -Infinity, bucket: -1, lastEventId: '', lastSeq: -1, ids: [], idHead: 0, recent: createRecentEvents(), states: new Array(detectors.length), incidents: new Map() };
  }

  function setContext(slot: AgentSlot, now: number): void {
    current = slot;
    ctx.agentId = slot.agentId;
    ctx.agentRole = slot.role;
    ctx.now = now;
    ctx.bucket = Math.floor(now / bucketMs);
    ctx.agentFirstSeen = slot.firstSeen;
    ctx.learning = now - slot.firstSeen < learningPeriodMs;
    ctx.zone = slot.zone;
    ctx.peers = peers;
  }

  function stateFor(slot: AgentSlot, i: number): unknown {
    let s = slot.states[i];
    if (s === undefined) {
      ctx.state = undefined;
      s = detectors[i]!.createState(ctx as DetectionContext<undefined>);
      slot.states[i] = s;
    }
    return s;
  }

  function toAlerts(slot: AgentSlot, findings: Finding[], now: number, out: Alert[]): void {
    for (const f of findings) {
      stats.findings++;
      const rule = ruleById.get(f.ruleId);
      if (!rule || !rule.enabled) continue;
      const except = exceptions.get(rule.id);
      if (except && except.length > 0 && except.some((re) => re.test(slot.agentId))) continue;
      const before = out.length;
      recordFinding(slot.incidents, incidentKey.get(rule.id)!, f, rule, { agentId: slot.agentId, agentRole: slot.role, tenantId: slot.tenant }, now, bucketMs, cooldownMs, out);
      for (let i = before; i < out.length; i++) {
        if (out[i]!.count === 1) stats.alertsRaised++;
        else stats.alertUpdates++;
      }
    }
  }

  /** Unverified events never reach a detector's update or an agent slot: only the accepting detectors' aggregators (per claimed agent and window). */
  function observeUnverified(event: DetectionEvent, source: UnverifiedSource): Alert[] {
    stats.unverified++;
    return unverified.observe(event, source);
  }

  function process(input: DetectionEvent): Alert[] {
    stats.events++;
    const event = inEngineShape(input);
    if (event.verification !== 'valid') return observeUnverified(event, { atMs: event.timestamp });
    let slot = agents.get(event.agentId);
    if (!slot) {
      slot = newSlot(event.agentId, event.agentRole, event.tenantId);
      agents.set(event.agentId, slot);
    }
    if (slot.firstSeen < 0) {
      slot.firstSeen = event.timestamp;
      slot.role = event.agentRole;
      slot.tenant = event.tenantId;
      slot.zone = zoneOf(slot.agentId, slot.role);
      peers.role(slot.role).agents.add(slot.agentId);
    }
    const digest = eventDigest(event);
    if (slot.clock - event.timestamp <= DUPLICATE_MAX_AGE_MS && isRecentDuplicate(slot.recent, event.seq, digest)) {
      stats.duplicates++;
      return [];
    }
    let now = event.timestamp;
    if (now < slot.clock) {
      now = slot.clock;
      stats.lateEvents++;
    }
    setContext(slot, now);
    let out: Alert[] | null = null;
    const bucket = ctx.bucket;
    if (bucket !== slot.bucket) {
      slot.bucket = bucket;
      if (slot.incidents.size > 0) {
        const expired: Alert[] = [];
        expireIncidents(slot.incidents, now, cooldownMs, expired);
        if (expired.length > 0) out = expired;
      }
    }
    const n = detectors.length;
    let start = 0;
    if (impersonationIndex === 0) {
      ctx.state = slot.states[0] ?? stateFor(slot, 0);
      const f = detectors[0]!.update(event, ctx);
      if (f.length > 0) {
        toAlerts(slot, f, now, (out ??= []));
        if (f.some((x) => x.untrusted)) {
          stats.untrusted++;
          return out;
        }
      }
      start = 1;
    }
    // Trusted: it moves the clock and joins the evidence trail.
    slot.clock = now;
    slot.lastEventId = event.eventId;
    slot.lastSeq = event.seq;
    rememberEvent(slot.recent, event.seq, digest);
    if (slot.ids.length < MAX_RELATED_EVENTS) slot.ids.push(event.eventId);
    else {
      slot.ids[slot.idHead] = event.eventId;
      slot.idHead = (slot.idHead + 1) % MAX_RELATED_EVENTS;
    }
    for (let i = start; i < n; i++) {
      const d = detectors[i]!;
      let s = slot.states[i];
      if (s === undefined) s = stateFor(slot, i);
      ctx.state = s;
      const f = d.update(event, ctx);
      if (f.length > 0) toAlerts(slot, f, now, (out ??= []));
    }
    return out ?? [];
  }

  function flush(upToTs: number): Alert[] {
    const out: Alert[] = unverified.flush(upToTs);
    const bucket = Math.floor(upToTs / bucketMs);
    for (const slot of agents.values()) {
      if (slot.firstSeen >= 0 && bucket > slot.bucket) {
        const now = Math.max(slot.clock, bucket * bucketMs);
        setContext(slot, now);
        for (let i = 0; i < detectors.length; i++) {
          const s = slot.states[i];
          if (s === undefined) continue;
          ctx.state = s;
          const f = detectors[i]!.flush(ctx);
          if (f.length > 0) toAlerts(slot, f, now, out);
        }
        slot.bucket = bucket;
        // Later events are at least this late: they land in the flushed bucket.
        slot.clock = now;
      }
      expireIncidents(slot.incidents, upToTs, cooldownMs, out);
    }
    current = null;
    return out;
  }

  function snapshotAgent(agentId: string): AgentSnapshot | null {
    const slot = agents.get(agentId);
    if (!slot) return null;
    const ids: string[] = [];
    for (let i = 0; i < slot.ids.length; i++) ids.push(slot.ids[(slot.idHead + i) % slot.ids.length]!);
    const states: { [name: string]: Json } = {};
    detectors.forEach((d, i) => {
      const s = slot.states[i];
      if (s !== undefined) states[d.name] = d.snapshot(s);
    });
    return {
      v: AGENT_SNAPSHOT_VERSION,
      agentId,
      role: slot.role,
      tenant: slot.tenant,
      firstSeen: slot.firstSeen,
      clock: Number.isFinite(slot.clock) ? slot.clock : -1,
      bucket: slot.bucket,
      lastEventId: slot.lastEventId,
      lastSeq: slot.lastSeq,
      ids,
      incidents: [...slot.incidents].map(([k, inc]) => [k, { ...inc }]),
      detectors: states,
      recent: snapshotRecent(slot.recent, slot.lastSeq),
    };
  }

  function restoreAgent(agentId: string, snap: AgentSnapshot): void {
    if (!snap || snap.v !== AGENT_SNAPSHOT_VERSION) {
      stats.refusedSnapshots++;
      throw new SnapshotVersionError(`agent ${agentId}`, (snap as { v?: unknown } | null)?.v, AGENT_SNAPSHOT_VERSION);
    }
    const slot = newSlot(agentId, snap.role, snap.tenant);
    slot.firstSeen = snap.firstSeen;
    slot.clock = snap.clock < 0 && snap.firstSeen < 0 ? -Infinity : snap.clock;
    slot.bucket = snap.bucket;
    slot.lastEventId = snap.lastEventId;
    slot.lastSeq = snap.lastSeq;
    slot.ids = [...snap.ids];
    slot.idHead = 0; // snapshot ids are oldest first
    slot.incidents = new Map(snap.incidents.map(([k, inc]) => [k, { ...inc }]));
    try {
      slot.recent = restoreRecent(snap.recent, snap.lastSeq);
      detectors.forEach((d, i) => {
        const s = snap.detectors[d.name];
        if (s !== undefined) slot.states[i] = d.restore(s);
      });
    } catch (err) {
      // A malformed detector state (tampered or truncated bytes): refused and counted, the agent is not half-restored.
      stats.refusedSnapshots++;
      throw err instanceof SnapshotVersionError ? err : new SnapshotBytesError(`agent ${agentId}: ${(err as Error).message}`);
    }
    agents.set(agentId, slot);
    if (slot.firstSeen >= 0) peers.role(slot.role).agents.add(agentId);
  }

  function restoreAgentBytes(agentId: string, bytes: Uint8Array): void {
    let snap: AgentSnapshot;
    try {
      snap = decodeSnapshot(bytes, strings) as unknown as AgentSnapshot;
    } catch (err) {
      stats.refusedSnapshots++;
      throw err;
    }
    restoreAgent(agentId, snap);
  }

  return {
    rules,
    process,
    observeUnverified,
    flushUnverified: (atMs) => unverified.flush(atMs),
    flush,
    snapshotAgent,
    restoreAgent,
    snapshotAgentBytes(agentId) {
      const snap = snapshotAgent(agentId);
      return snap ? encodeSnapshot(snap as unknown as Json) : null;
    },
    restoreAgentBytes,
    dropAgent: (agentId) => agents.delete(agentId),
    agentIds: () => [...agents.keys()],
    snapshotPeers: () => peers.snapshot(),
    restorePeers(state: Json) {
      peers = PeerGroups.restore(state);
      for (const slot of agents.values()) if (slot.firstSeen >= 0) peers.role(slot.role).agents.add(slot.agentId);
    },
    stats: () => ({ ...stats }),
    unverifiedStats: () => unverified.stats(),
  };
}
