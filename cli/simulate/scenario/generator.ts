/**
 * Labelled scenario generator: a seeded fleet of agents in several roles,
 * days of traffic with daily and weekly rhythm, and injected incidents of
 * every kind the detectors target. Used by `warden simulate` (to Kafka, or
 * `--out file.jsonl` for `warden replay`), the demo, the evaluation
 * (test/scenarios/eval.ts) and the benchmarks.
 *
 * Each JSON line also carries `"verification"` (the signature verdict the
 * live detector would have reached; forged events are not `valid`): replay
 * uses it when present and treats its absence as `valid`.
 */
import type { AgentActionEvent } from '../../../shared/schemas/generated.js';
import { DEFAULT_RULES, type DetectionEvent, type Rules } from '../../../shared/detection/index.js';
import { DAY_MS, HOUR_MS, ROLES, makeAgents, rolesInZones, type AgentProfile } from './fleet.js';
import { EVASION_TYPES, INCIDENT_TYPES, eligible, injectLate, injectOwn, type AgentTrack, type IncidentType, type LabelledIncident, type LateInjection } from './incidents.js';
import { placeBenignChanges } from './benignChanges.js';
import { BENIGN_BUDGET, BENIGN_KINDS, EARLY_BENIGN, SINGLE_AGENT_BENIGN, eligibleBenign, injectBenignEarly, injectBenignLate, type BenignKind, type LabelledBenign } from './benign.js';
import { injectSeqJump } from './seqJump.js';
import { placeEvasions } from './evasions.js';
import { Rng } from './prng.js';
import { SLOT_MS, dayFactors, normalTraffic, resetEventIds } from './traffic.js';

export { INCIDENT_TYPES, ALL_INCIDENT_TYPES, EVASION_TYPES, DETECTORS_FOR, type IncidentType, type LabelledIncident } from './incidents.js';
export { ROLES, type AgentProfile, type RoleName } from './fleet.js';
export { BENIGN_KINDS, BENIGN_BUDGET, type BenignKind, type LabelledBenign } from './benign.js';

export interface ScenarioOptions {
  seed?: number;
  agents?: number;
  days?: number;
  /** Monday 00:00 UTC by default (2025-01-06). */
  startTs?: number;
  /** Incidents of each type (0 = normal traffic only). */
  incidentsPerType?: number;
  /** Default: the classic kinds (INCIDENT_TYPES); ALL_INCIDENT_TYPES adds the evasions. */
  types?: readonly IncidentType[];
  /** The rules the scenario is made for: evasions that stay under a floor read it here (default DEFAULT_RULES). */
  rules?: Rules;
  /** Labelled benign cases of each kind (default 0: none), each with an alert budget (benign.ts). */
  benignPerKind?: number;
  benignKinds?: readonly BenignKind[];
  /** Share of agents that join after the start (they warm up on peer baselines). */
  lateJoinerShare?: number;
  /** Learning period assumed by the detectors (incidents that need it come after). */
  learningPeriodMs?: number;
  /**
   * Each role works in one of three zones drawn from the seed (fleet.ts SIM_ZONES: Asia/Tokyo, UTC,
   * America/Bogota) instead of every agent in UTC; `Scenario.timeZones` says which, for the rules. Default false
   * (the fleet, and its events, are exactly as before).
   */
  roleZones?: boolean;
}

export interface Scenario {
  options: Required<Omit<ScenarioOptions, 'types' | 'benignKinds' | 'rules'>> & { types: IncidentType[]; benignKinds: BenignKind[] };
  agents: AgentProfile[];
  /** Events in arrival order (replayed messages arrive late with their old timestamp). */
  events: DetectionEvent[];
  /** Arrival time of each event (= timestamp, except replays). */
  arrivals: Float64Array;
  incidents: LabelledIncident[];
  benign: LabelledBenign[];
  startTs: number;
  endTs: number;
  /** Role -> zone name of every role with a zone (roleZones; roles added by evasions included); empty: every agent in UTC. */
  timeZones: Record<string, string>;
}

const isEvasion = (type: IncidentType): boolean => (EVASION_TYPES as readonly string[]).includes(type);

export const DEFAULT_START_TS = Date.UTC(2025, 0, 6);

/** Keep incidents on one agent this far apart, so each one is judged on its own. */
const SPACING_MS = 5 * HOUR_MS;

export function generateScenario(options: ScenarioOptions = {}): Scenario {
  const opts = {
    seed: options.seed ?? 42,
    agents: options.agents ?? 60,
    days: options.days ?? 8,
    startTs: options.startTs ?? DEFAULT_START_TS,
    incidentsPerType: options.incidentsPerType ?? 20,
    types: [...(options.types ?? INCIDENT_TYPES)],
    benignPerKind: options.benignPerKind ?? 0,
    benignKinds: [...(options.benignKinds ?? BENIGN_KINDS)],
    lateJoinerShare: options.lateJoinerShare ?? 0.1,
    learningPeriodMs: options.learningPeriodMs ?? DAY_MS,
    roleZones: options.roleZones ?? false,
  };
  resetEventIds();
  const root = new Rng(opts.seed);
  const startTs = opts.startTs;
  const endTs = startTs + opts.days * DAY_MS;
  // Its own stream: drawing the zones leaves every other draw where it was.
  const roles = opts.roleZones ? rolesInZones(root.fork(7)) : ROLES;
  const agents = makeAgents(root.fork(1), opts.agents, startTs, opts.days, opts.lateJoinerShare, roles);

  const tracks: AgentTrack[] = agents.map((agent, i) => {
    const rng = root.fork(10_000 + i);
    const factors = dayFactors(agent, rng, startTs, opts.days);
    const events = normalTraffic(agent, factors, rng, startTs, endTs);
    return { agent, rng, factors, events, normalCount: events.length };
  });

  // Schedule incidents: random agent and time meeting the kind's constraints, spaced per agent.
  const sched = root.fork(2);
  const busy = new Map<string, number[]>();
  const incidents: LabelledIncident[] = [];
  const late: { track: AgentTrack; incident: LabelledIncident; make: LateInjection }[] = [];
  let seqNo = 0;
  for (const type of opts.types) {
    if (isEvasion(type)) continue;
    for (let k = 0; k < opts.incidentsPerType; k++) {
      // A few rate spikes hit late joiners while they still learn: the peer baseline must catch them.
      const warmup = type === 'rate-spike' && k % 5 === 0;
      for (let attempt = 0; attempt < 4000; attempt++) {
        const track = sched.pick(tracks);
        const agent = track.agent;
        const isLate = agent.joinTs > startTs + DAY_MS;
        if (warmup && !isLate) continue;
        const from = warmup ? agent.joinTs + 3 * HOUR_MS : agent.joinTs + opts.learningPeriodMs + 2 * HOUR_MS;
        const to = warmup ? agent.joinTs + opts.learningPeriodMs - 2 * HOUR_MS : endTs - 5 * HOUR_MS;
        if (to <= from) continue;
        const start = Math.floor(sched.uniform(from, to) / 1000) * 1000;
        if (!eligible(type, agent, track.factors, startTs, start)) continue;
        const taken = busy.get(agent.agentId) ?? [];
        if (taken.some((t) => Math.abs(t - start) < SPACING_MS)) continue;
        taken.push(start);
        busy.set(agent.agentId, taken);
        const incident: LabelledIncident = { id: `inc-${String(++seqNo).padStart(4, '0')}`, type, variant: '', agentId: agent.agentId, start, end: start, duringWarmup: start < agent.joinTs + opts.learningPeriodMs };
        if (type === 'forged-signature' || type === 'seq-replay') {
          late.push({ track, incident, make: injectLate(type, track, start) });
        } else if (type === 'seq-jump') {
          const inj = injectSeqJump(track, start, startTs);
          track.events.push(...inj.own);
          late.push({ track, incident, make: inj.late });
        } else {
          const inj = injectOwn(type, track, start, startTs);
          if (inj.own) track.events.push(...inj.own);
          if (inj.mutate) inj.mutate(track.events);
          incident.end = inj.end;
          incident.variant = inj.variant;
          if (inj.doublingBuckets !== undefined) incident.doublingBuckets = inj.doublingBuckets;
        }
        incidents.push(incident);
        break;
      }
    }
  }

  // Evasions after the classic incidents, each kind on its own random stream (evasions.ts).
  const world = { agents, tracks, fleetSize: agents.length, startTs, endTs, days: opts.days, learningPeriodMs: opts.learningPeriodMs, rules: options.rules ?? DEFAULT_RULES };
  incidents.push(...placeEvasions(world, root, opts.types, opts.incidentsPerType, { busy, spacingMs: SPACING_MS }, () => `inc-${String(++seqNo).padStart(4, '0')}`));

  // Benign cases, scheduled after every incident (so incidents sit where they did) and apart from them.
  const benign: LabelledBenign[] = [];
  const benignLate: { track: AgentTrack; item: LabelledBenign; make: LateInjection }[] = [];
  for (const kind of opts.benignKinds) {
    if (!(SINGLE_AGENT_BENIGN as readonly string[]).includes(kind)) continue;
    for (let k = 0; k < opts.benignPerKind; k++) {
      for (let attempt = 0; attempt < 4000; attempt++) {
        const track = sched.pick(tracks);
        const from = track.agent.joinTs + opts.learningPeriodMs + 2 * HOUR_MS;
        const to = endTs - 5 * HOUR_MS;
        if (to <= from) continue;
        const start = Math.floor(sched.uniform(from, to) / 1000) * 1000;
        if (!eligibleBenign(kind, track.agent, track.factors, startTs, start, endTs)) continue;
        const taken = busy.get(track.agent.agentId) ?? [];
        if (taken.some((t) => Math.abs(t - start) < SPACING_MS)) continue;
        taken.push(start);
        busy.set(track.agent.agentId, taken);
        const item: LabelledBenign = { id: `benign-${String(benign.length + 1).padStart(4, '0')}`, kind, variant: '', agentId: track.agent.agentId, start, end: start, budget: BENIGN_BUDGET[kind] };
        benign.push(item);
        if (EARLY_BENIGN.has(kind)) Object.assign(item, injectBenignEarly(kind, track, start));
        else benignLate.push({ track, item, make: injectBenignLate(kind, track, start) });
        break;
      }
    }
  }

  let benignNo = benign.length;
  benign.push(...placeBenignChanges(world, root, opts.benignKinds, opts.benignPerKind, { busy, spacingMs: SPACING_MS }, () => `benign-${String(++benignNo).padStart(4, '0')}`));

  // The agent's own stream in time order, numbered like the SDK does: at least the clock in µs, always
  // climbing (shared/telemetry/sequence.ts). The draw gives the first seq its sub-millisecond part.
  // A skewed clock (benign clock-skew) stamps the agent's time; the event still arrives in real time.
  const realArrival = new Map<DetectionEvent, number>();
  for (const t of tracks) {
    t.events.sort((a, b) => a.timestamp - b.timestamp);
    let seq = -Infinity;
    const subMsUs = t.rng.int(0, 999);
    for (const e of t.events) {
      const skew = t.clockSkews?.find((s) => e.timestamp >= s.from && e.timestamp < s.to);
      if (skew) {
        realArrival.set(e, e.timestamp);
        e.timestamp += skew.offsetMs;
      }
      e.seq = seq = Math.max(seq + 1, e.timestamp * 1000 + subMsUs);
    }
  }

  const merged: { arrival: number; order: number; event: DetectionEvent }[] = [];
  let order = 0;
  for (const t of tracks) for (const e of t.events) merged.push({ arrival: realArrival.get(e) ?? e.timestamp, order: order++, event: e });
  for (const { track, incident, make } of late) {
    const out = make(track.events);
    incident.end = out.end;
    incident.variant = out.variant;
    for (const a of out.arrivals) merged.push({ arrival: a.arrival, order: order++, event: a.event });
  }
  for (const { track, item, make } of benignLate) {
    const out = make(track.events);
    item.end = out.end;
    item.variant = out.variant;
    for (const a of out.arrivals) merged.push({ arrival: a.arrival, order: order++, event: a.event });
  }
  merged.sort((a, b) => a.arrival - b.arrival || a.order - b.order);
  incidents.sort((a, b) => a.start - b.start);
  const timeZones: Record<string, string> = {};
  for (const a of agents) if (a.spec.timeZone) timeZones[a.role] = a.spec.timeZone.name;
  return {
    options: opts,
    agents,
    events: merged.map((m) => m.event),
    arrivals: Float64Array.from(merged, (m) => m.arrival),
    incidents,
    benign,
    startTs,
    endTs,
    timeZones,
  };
}

/** The JSON form of an event for `warden replay`: the AgentActionEvent fields, plus `verification` unless told not to. */
export function toJsonLine(event: DetectionEvent, includeVerification = true): string {
  if (includeVerification) return JSON.stringify(event);
  const { verification: _drop, ...plain } = event;
  return JSON.stringify(plain satisfies AgentActionEvent);
}

export function toJsonl(events: readonly DetectionEvent[], includeVerification = true): string {
  let out = '';
  for (const e of events) out += `${toJsonLine(e, includeVerification)}\n`;
  return out;
}

export { SLOT_MS };
