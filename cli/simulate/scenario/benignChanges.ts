/**
 * Benign changes over one or many agents (issue 11), each charged with every
 * alert on its agents (and their group series) from its start to its end +
 * the evaluation's grace, against a budget of 1 (benignKinds.ts). Each kind
 * places from its own fork of the scenario's random stream and reshapes only
 * the agents' normal traffic (never an incident's events).
 *
 * peer-adoption: a new tool every agent of a role starts using on the same
 *   day, each within 3 hours of the first, for 10-30% of its tool calls from
 *   then on. Judged until 2 h after the last agent started.
 * dst-shift: the agents of one time zone (a tenant's agents of one role) move
 *   their day one hour earlier or later, for good, from a night on. Judged
 *   over the following day.
 * holiday: a weekday on which a tenant (or the whole fleet) works like on a
 *   weekend (its role's weekend share of the traffic). Judged over the day and
 *   the next morning.
 * new-agent-like-peers: a new agent of an existing role joins mid-scenario and
 *   behaves like its peers. Judged over its learning period + 12 h.
 * clock-skew: one agent's clock runs 1-5 minutes ahead or behind for 2-6 h
 *   (event times off, arrival and order real; seqs follow the agent's clock
 *   as the SDK's do, never going back).
 */
import { DAY_MS, HOUR_MS, localTime } from './fleet.js';
import type { AgentTrack } from './incidents.js';
import type { Rng } from './prng.js';
import { activityAt, inEventIdSpace, type GenEvent } from './traffic.js';
import { activeFor, addAgent, type EvasionWorld } from './evasionCommon.js';
import { BENIGN_CHANGE_BUDGET, BENIGN_CHANGE_KINDS, type BenignChangeKind } from './benignKinds.js';
import type { LabelledBenign } from './benign.js';
import type { Spacing } from './evasions.js';

type Case = Omit<LabelledBenign, 'id' | 'kind' | 'budget'>;

interface Draw {
  world: EvasionWorld;
  track: AgentTrack;
  ts: number;
  rng: Rng;
  ordinal: number;
  /** Groups (time zones, holiday days) already changed: one change each. */
  used: Set<string>;
}

const weekday = (ts: number) => (Math.floor(ts / DAY_MS) + 3) % 7 < 5;
const dayStart = (ts: number) => Math.floor(ts / DAY_MS) * DAY_MS;
const groupIds = (t: AgentTrack) => [`group:role:${t.agent.role}`, `group:tenant:${t.agent.tenantId}`];

/** The agent's normal events (benign changes reshape only those). */
function normalEvents(t: AgentTrack): GenEvent[] {
  return t.events.slice(0, t.normalCount ?? t.events.length);
}

/** Keeps the normal events that `keep` accepts, leaving incident events as they are. */
function filterNormal(t: AgentTrack, keep: (e: GenEvent) => boolean): void {
  const n = t.normalCount ?? t.events.length;
  const kept = t.events.slice(0, n).filter(keep);
  t.events = [...kept, ...t.events.slice(n)];
  t.normalCount = kept.length;
}

/** The fleet's agents (not added ones) matching `match`, settled in by `ts`. */
function members(w: EvasionWorld, ts: number, match: (t: AgentTrack) => boolean): AgentTrack[] {
  return w.tracks.slice(0, w.fleetSize).filter((t) => match(t) && t.agent.joinTs + w.learningPeriodMs + 2 * HOUR_MS <= ts);
}

const TOOLS = ['kb_assist', 'vector_search', 'doc_translate', 'sheet_sync', 'case_router', 'insight_panel'];

function peerAdoption({ world, track, ts, rng, ordinal }: Draw): Case | null {
  const role = track.agent.role;
  const crew = members(world, ts, (t) => t.agent.role === role && t.agent.actionNames.includes('tool.call'));
  // Adoption during working hours: every agent has tool calls in the 3 hours it starts in.
  if (crew.length < 3 || !activeFor(track, world.startTs, ts, 4, 0.3)) return null;
  const tool = `${rng.pick(TOOLS)}_v${(ordinal % 1000) + 2}`;
  const share = rng.uniform(0.1, 0.3);
  let last = ts;
  for (const t of crew) {
    const from = ts + rng.uniform(0, 3) * HOUR_MS;
    last = Math.max(last, from);
    // Its first tool call from then on is the new tool's (the adoption), then a share of them.
    const calls = normalEvents(t).filter((e) => e.action === 'tool.call' && e.timestamp >= from).sort((a, b) => a.timestamp - b.timestamp);
    calls.forEach((e, i) => {
      if (i === 0 || rng.chance(share)) e.resource = tool;
    });
  }
  const ids = crew.map((t) => t.agent.agentId);
  return { variant: `${crew.length} ${role} agents adopt ${tool} (${Math.round(share * 100)}% of tool calls)`, agentId: `group:role:${role}`, agentIds: [...ids, ...groupIds(track)], start: ts, end: Math.floor(last + 2 * HOUR_MS) };
}

function dstShift({ world, track, ts, rng, used }: Draw): Case | null {
  const zone = `${track.agent.tenantId}/${track.agent.role}`;
  // The switch happens at night (01:00-03:00 local: one role, one zone), a day before the scenario ends.
  const at = dayStart(ts) - localTime(track.agent, 0) + Math.round(rng.uniform(1, 3) * 60) * 60_000;
  if (used.has(`dst:${zone}`) || at < world.startTs + world.learningPeriodMs || at + DAY_MS > world.endTs) return null;
  const crew = members(world, at, (t) => `${t.agent.tenantId}/${t.agent.role}` === zone);
  if (crew.length === 0) return null;
  used.add(`dst:${zone}`);
  const shiftMs = rng.chance(0.5) ? HOUR_MS : -HOUR_MS;
  for (const t of crew) {
    for (const e of normalEvents(t)) if (e.timestamp >= at) e.timestamp += shiftMs;
    filterNormal(t, (e) => e.timestamp < world.endTs);
  }
  return { variant: `${crew.length} agents of ${zone} ${shiftMs > 0 ? 'an hour later' : 'an hour earlier'}`, agentId: zone, agentIds: [...crew.map((t) => t.agent.agentId), ...groupIds(track)], start: at, end: at + DAY_MS };
}

function holiday({ world, track, ts, rng, used }: Draw): Case | null {
  const day = dayStart(ts);
  const everyone = rng.chance(0.25);
  const scope = everyone ? 'all' : track.agent.tenantId;
  if (!weekday(day) || day + DAY_MS + 10 * HOUR_MS > world.endTs) return null;
  // One holiday per scope and day, none on the day before or after (the next morning is judged too).
  for (const d of [day - DAY_MS, day, day + DAY_MS]) {
    if (used.has(`holiday:${d}:all`) || used.has(`holiday:${d}:${scope}`) || (everyone && [...used].some((u) => u.startsWith(`holiday:${d}:`)))) return null;
  }
  const crew = members(world, day, (t) => everyone || t.agent.tenantId === scope);
  if (crew.length === 0) return null;
  used.add(`holiday:${day}:${scope}`);
  // The calendar day where each agent works: its local midnight to the next.
  const from = (t: AgentTrack): number => day - localTime(t.agent, 0);
  for (const t of crew) filterNormal(t, (e) => e.timestamp < from(t) || e.timestamp >= from(t) + DAY_MS || rng.chance(t.agent.spec.weekend));
  const ids = crew.map((t) => t.agent.agentId);
  const starts = crew.map(from);
  return { variant: `${everyone ? 'fleet-wide' : scope} holiday, ${crew.length} agents`, agentId: everyone ? 'fleet' : scope, agentIds: [...ids, ...(everyone ? [] : [`group:tenant:${scope}`])], start: Math.min(...starts), end: Math.max(...starts) + DAY_MS + 10 * HOUR_MS };
}

function newAgentLikePeers({ world, track, ts, rng }: Draw): Case | null {
  if (ts < world.startTs + DAY_MS + 12 * HOUR_MS || ts + world.learningPeriodMs + 12 * HOUR_MS > world.endTs) return null;
  const joined = addAgent(world, rng, track.agent.spec, ts);
  return { variant: `a new ${track.agent.role} agent`, agentId: joined.agent.agentId, start: ts, end: ts + world.learningPeriodMs + 12 * HOUR_MS };
}

function clockSkew({ world, track, ts, rng }: Draw): Case | null {
  if (activityAt(track.agent, track.factors, world.startTs, ts) < 0.2) return null;
  const offsetMs = Math.round(rng.uniform(1, 5) * 60_000) * (rng.chance(0.5) ? 1 : -1);
  const end = ts + Math.round(rng.uniform(2, 6) * HOUR_MS);
  (track.clockSkews ??= []).push({ from: ts, to: end, offsetMs });
  return { variant: `${offsetMs > 0 ? '+' : ''}${(offsetMs / 60_000).toFixed(1)} min for ${((end - ts) / HOUR_MS).toFixed(1)} h`, agentId: track.agent.agentId, start: ts, end: end + Math.abs(offsetMs) };
}

const MAKERS: Record<BenignChangeKind, (d: Draw) => Case | null> = {
  'peer-adoption': peerAdoption,
  'dst-shift': dstShift,
  holiday,
  'new-agent-like-peers': newAgentLikePeers,
  'clock-skew': clockSkew,
};

/** Kinds whose case sits on one agent of the fleet and so keeps clear of its incidents. */
const ON_ONE_AGENT: ReadonlySet<BenignChangeKind> = new Set(['clock-skew']);

/** Up to `perKind` cases of each benign change in `kinds` (others ignored). */
export function placeBenignChanges(world: EvasionWorld, root: Rng, kinds: readonly string[], perKind: number, spacing: Spacing, nextId: () => string): LabelledBenign[] {
  const placed: LabelledBenign[] = [];
  const used = new Set<string>();
  for (const [kindIndex, kind] of BENIGN_CHANGE_KINDS.entries()) {
    if (!kinds.includes(kind)) continue;
    const sched = root.fork(4000 + kindIndex);
    for (let k = 0; k < perKind; k++) {
      for (let attempt = 0; attempt < 400; attempt++) {
        const track = sched.pick(world.tracks.slice(0, world.fleetSize));
        const from = world.startTs + world.learningPeriodMs + 2 * HOUR_MS;
        const ts = Math.floor(sched.uniform(from, world.endTs - 5 * HOUR_MS) / 1000) * 1000;
        const taken = spacing.busy.get(track.agent.agentId) ?? [];
        if (ON_ONE_AGENT.has(kind) && (track.agent.joinTs + world.learningPeriodMs > ts || taken.some((t) => Math.abs(t - ts) < spacing.spacingMs + 6 * HOUR_MS))) continue;
        const ordinal = 20_000 + kindIndex * 1000 + k;
        const made = inEventIdSpace(ordinal, () => MAKERS[kind]({ world, track, ts, rng: sched.fork(ordinal), ordinal, used }));
        if (!made) continue;
        if (ON_ONE_AGENT.has(kind)) spacing.busy.set(track.agent.agentId, [...taken, ts]);
        placed.push({ id: nextId(), kind, budget: BENIGN_CHANGE_BUDGET[kind], ...made });
        break;
      }
    }
  }
  return placed;
}
