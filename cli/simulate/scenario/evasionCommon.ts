/**
 * What the evasion injectors share: the world they act on, and the agent's
 * "usual" level of a quantity per bucket as its own baseline would see it
 * (the median of the same five-minute slot on earlier days of the same day
 * class), so an injector can stay at a chosen multiple of it, under a
 * per-bucket threshold whatever the time of day.
 */
import type { Rules } from '../../../shared/detection/index.js';
import { DAY_MS, HOUR_MS, localTime, makeAgent, type AgentProfile, type RoleSpec } from './fleet.js';
import type { AgentTrack } from './incidents.js';
import type { Rng } from './prng.js';
import { SLOT_MS, activityAt, dayFactors, normalTraffic, type GenEvent } from './traffic.js';

export interface EvasionWorld {
  agents: AgentProfile[];
  tracks: AgentTrack[];
  /** Agents of the generated fleet (added agents come after them). */
  fleetSize: number;
  startTs: number;
  endTs: number;
  days: number;
  learningPeriodMs: number;
  rules: Rules;
}

/** Where and with which random stream one incident is placed. */
export interface EvasionPlace {
  world: EvasionWorld;
  track: AgentTrack;
  start: number;
  rng: Rng;
  /** Unique per incident: names added agents and roles. */
  ordinal: number;
}

/** The label fields an injector fills in (the generator adds id, type, start). */
export interface EvasionLabel {
  end: number;
  variant: string;
  /** The incident's agent when it is not the placed track's (cold start: the new agent). */
  agentId?: string;
  duringWarmup?: boolean;
  participants?: string[];
  groupIds?: string[];
  detectFrom?: number;
  targetBuckets?: number;
  /** Other times on the agent kept free of other incidents (the strike after a ramp). */
  alsoBusy?: number[];
}

export interface EvasionKind {
  /** Where an incident may start for this agent (besides spacing); world gives the fleet around it. */
  eligible(world: EvasionWorld, track: AgentTrack, ts: number): boolean;
  /** Adds the incident's events (to track.events, or new tracks) and says what it did. */
  inject(place: EvasionPlace): EvasionLabel;
  /** Earliest start relative to the agent's join (default: after its learning period + 2 h). */
  earliest?(world: EvasionWorld, agent: AgentProfile): number;
}

export const slotOf = (ts: number): number => Math.floor(ts / SLOT_MS);
/** Saturday or Sunday where the agent works. */
const weekend = (agent: AgentProfile, ts: number): boolean => (Math.floor(localTime(agent, ts) / DAY_MS) + 3) % 7 >= 5;

/** The agent's events by bucket, built once per injection (track.events is unsorted while incidents are added). */
export function bucketIndex(events: readonly GenEvent[]): Map<number, GenEvent[]> {
  const index = new Map<number, GenEvent[]>();
  for (const e of events) {
    const b = slotOf(e.timestamp);
    const list = index.get(b);
    if (list) list.push(e);
    else index.set(b, [e]);
  }
  return index;
}

export function bucketSum(index: Map<number, GenEvent[]>, bucket: number, value: (e: GenEvent) => number): number {
  let sum = 0;
  for (const e of index.get(bucket) ?? []) sum += value(e);
  return sum;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median of `value` summed over the slot of ts on up to 7 earlier days of the same day class since the agent joined. */
export function usualBucketLevel(index: Map<number, GenEvent[]>, agent: AgentProfile, ts: number, value: (e: GenEvent) => number): number {
  const sums: number[] = [];
  for (let d = 1; d <= 9 && sums.length < 7; d++) {
    const past = ts - d * DAY_MS;
    if (past < agent.joinTs) break;
    if (weekend(agent, past) === weekend(agent, ts)) sums.push(bucketSum(index, slotOf(past), value));
  }
  return median(sums);
}

/** The agent has at least two earlier days of the same day class to have a usual level at ts. */
export function hasHistory(agent: AgentProfile, ts: number): boolean {
  let days = 0;
  for (let d = 1; d <= 9; d++) if (ts - d * DAY_MS >= agent.joinTs && weekend(agent, ts - d * DAY_MS) === weekend(agent, ts)) days++;
  return days >= 2;
}

/** The agent is busy (activity >= share of its peak) for the next `hours` at ts. */
export function activeFor(track: AgentTrack, startTs: number, ts: number, hours: number, share: number): boolean {
  for (let h = 0; h <= hours; h += 0.5) if (activityAt(track.agent, track.factors, startTs, ts + h * HOUR_MS) < share) return false;
  return true;
}

/**
 * Raises `value` in every bucket of [from, to) to `factor()` x the agent's usual level there, never above:
 * the added amount is what the bucket lacks (nothing when it is already there). `make` builds the events
 * carrying an amount at times in [lo, hi) (the bucket's part of the window). Returns the added events (not yet pushed).
 */
export function raiseToMultiple(
  track: AgentTrack,
  window: { from: number; to: number },
  value: (e: GenEvent) => number,
  factor: () => number,
  make: (lo: number, hi: number, amount: number) => GenEvent[],
): GenEvent[] {
  const index = bucketIndex(track.events);
  const added: GenEvent[] = [];
  for (let b = slotOf(window.from); b * SLOT_MS < window.to; b++) {
    const usual = usualBucketLevel(index, track.agent, b * SLOT_MS, value);
    const lacking = factor() * usual - bucketSum(index, b, value);
    if (lacking <= 0) continue;
    const lo = Math.max(b * SLOT_MS, window.from);
    const hi = Math.min((b + 1) * SLOT_MS, window.to);
    added.push(...make(lo, hi, lacking));
  }
  return added;
}

/** A new agent of `spec` joining at `joinTs`, with its own normal traffic from then on (added to the world). */
export function addAgent(world: EvasionWorld, rng: Rng, spec: RoleSpec, joinTs: number): AgentTrack {
  const r = rng.fork(1);
  const agent = makeAgent(r, world.agents.length, spec, joinTs);
  const factors = dayFactors(agent, r, world.startTs, world.days);
  const events = normalTraffic(agent, factors, r, world.startTs, world.endTs);
  const track: AgentTrack = { agent, rng: r.fork(2), factors, events, normalCount: events.length };
  world.agents.push(agent);
  world.tracks.push(track);
  return track;
}

