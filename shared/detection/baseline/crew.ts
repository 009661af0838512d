/**
 * A crew: several agents of one role, each well above its own usual at the same time (issue 11, "a data pull split
 * across three agents of one role"). Split three or four ways, each agent's share is too small and too short for
 * its own accumulation horizons, and the role's total barely moves (three of twenty agents at twice their usual
 * lift a role by ~15%, inside an ordinary hour's spread). What stands out is the coincidence: agents whose series
 * are ordinarily independent, all accumulating at once.
 *
 * Each agent's series reports, after every closed bucket, the standardised residual of its last hour or two
 * (accumulation.ts `crewReading`, judged against that agent's own history of it, so a bursty agent needs a larger
 * excess than a regular one). The role keeps only the agents currently elevated (at least half the rule's z, seen
 * within the last `freshBuckets`); when `minAgents` of them stand at the full z, the crew alarms once, naming them
 * with their totals, and stays quiet until fewer than `minAgents` have been elevated (half the z) for an hour: one
 * alert per crew, not one per bucket, and no day-long silence that a decoy could buy for later crews.
 *
 * Unless most of the role's reporting agents are elevated (`maxShare`): then the role's day changed.
 *
 * Pure state, role-level (PeerGroups holds one per role and metric): no I/O, deterministic in event order.
 */
import type { CrewReading } from './accumulation.js';

export interface CrewParams {
  /** Each member's standardised residual at least this. */
  z: number;
  /** Agents at that z at once. */
  minAgents: number;
  /** A member's reading counts this many buckets after it was made (agents close their buckets on their own events). */
  freshBuckets: number;
  /**
   * At most this share of the role's agents reporting within freshBuckets: when most of a role moves at once it is
   * the role's day that changed (a holiday, a clock change, a new release), not a crew.
   */
  maxShare: number;
}

export interface CrewMember {
  agentId: string;
  bucket: number;
  z: number;
  total: number;
  expectedTotal: number;
  buckets: number;
}

export interface CrewState {
  /** Agents whose latest reading is at least half the z (elevated), by agent id. */
  members: Map<string, CrewMember>;
  /** Alarmed, until fewer than minAgents have been elevated for CLEAR_BUCKETS. */
  fired: boolean;
  /** The bucket since which fewer than minAgents are elevated (-1: they are, or not alarmed). */
  brokenSince: number;
  /** Every agent's last reading bucket (elevated or not), oldest first: the role's agents reporting now. */
  reporters: Map<string, number>;
}

export interface CrewVerdict {
  /** The members at the full z, largest excess first. */
  members: CrewMember[];
  total: number;
  expectedTotal: number;
}

export function createCrew(): CrewState {
  return { members: new Map(), fired: false, brokenSince: -1, reporters: new Map() };
}

/** Bound of the members kept (the most elevated are what matters; a role of thousands does not keep thousands). */
const MAX_MEMBERS = 64;
/**
 * An alarm ends when the crew has broken up for an hour of buckets: members' readings dip at their hour blocks'
 * turns and at chance lows, and one pull should be one alert.
 */
const CLEAR_BUCKETS = 12;
/** Bound of the reporters kept; past it the share is read against the bound (a large role, where a crew is small). */
const MAX_REPORTERS = 4096;

/** One agent's reading after its bucket; returns a verdict when the crew alarms. */
export function reportToCrew(crew: CrewState, p: CrewParams, agentId: string, reading: CrewReading): CrewVerdict | null {
  const members = crew.members;
  const reporters = crew.reporters;
  reporters.delete(agentId);
  reporters.set(agentId, reading.bucket);
  for (const [id, bucket] of reporters) {
    if (bucket >= reading.bucket - p.freshBuckets && reporters.size <= MAX_REPORTERS) break;
    reporters.delete(id);
  }
  if (reading.z >= p.z / 2) {
    members.delete(agentId);
    members.set(agentId, { agentId, bucket: reading.bucket, z: reading.z, total: reading.total, expectedTotal: reading.expectedTotal, buckets: reading.buckets });
    // Oldest reading first (Map order): past the bound, the stalest goes.
    if (members.size > MAX_MEMBERS) members.delete(members.keys().next().value!);
  } else members.delete(agentId);
  let strong: CrewMember[] | null = null;
  for (const m of members.values()) {
    if (m.bucket < reading.bucket - p.freshBuckets) {
      members.delete(m.agentId);
      continue;
    }
    if (m.z >= p.z) (strong ??= []).push(m);
  }
  if (members.size >= p.minAgents) crew.brokenSince = -1;
  else if (crew.fired) {
    if (crew.brokenSince < 0) crew.brokenSince = reading.bucket;
    else if (reading.bucket - crew.brokenSince >= CLEAR_BUCKETS) {
      crew.fired = false;
      crew.brokenSince = -1;
    }
  }
  if (crew.fired || strong === null || strong.length < p.minAgents || members.size > p.maxShare * reporters.size) return null;
  crew.fired = true;
  crew.brokenSince = -1;
  strong.sort((a, b) => b.total - b.expectedTotal - (a.total - a.expectedTotal) || (a.agentId < b.agentId ? -1 : 1));
  let total = 0;
  let expectedTotal = 0;
  for (const m of strong) {
    total += m.total;
    expectedTotal += m.expectedTotal;
  }
  return { members: strong, total, expectedTotal };
}

/** Entries, not objects (agent ids come from events). */
export function snapshotCrew(crew: CrewState): [number, [string, number, number, number, number, number][], [string, number][], number] {
  return [crew.fired ? 1 : 0, [...crew.members.values()].map((m) => [m.agentId, m.bucket, m.z, m.total, m.expectedTotal, m.buckets]), [...crew.reporters], crew.brokenSince];
}

export function restoreCrew(raw: unknown): CrewState {
  const crew = createCrew();
  if (!Array.isArray(raw) || raw.length !== 4 || !Array.isArray(raw[1]) || !Array.isArray(raw[2]) || typeof raw[3] !== 'number') return crew;
  crew.fired = raw[0] === 1;
  crew.brokenSince = raw[3];
  for (const [agentId, bucket] of raw[2] as [string, number][]) crew.reporters.set(agentId, bucket);
  for (const [agentId, bucket, z, total, expectedTotal, buckets] of raw[1] as [string, number, number, number, number, number][]) crew.members.set(agentId, { agentId, bucket, z, total, expectedTotal, buckets });
  return crew;
}
