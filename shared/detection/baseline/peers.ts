/**
 * Role-level (peer group) state shared by the agents of one role: seasonal
 * profiles of per-agent bucket values (what a new agent is compared with
 * while it warms up) and how many of the role's agents use each resource,
 * target and action (peer rarity). It is instance state, not agent state:
 * the engine snapshots it apart (`snapshotPeers`). Only agents past their
 * own warm-up feed the profiles, with capped values.
 */
import { roundSig } from './robust.js';
import type { Json } from '../types.js';

import { SEASON_SLOTS } from './seasonal.js';
import { actionSizesParts, copyActionSizes, type ActionSizes } from './actionSizes.js';
import { createCrew, restoreCrew, snapshotCrew, type CrewState } from './crew.js';

export { SEASON_SLOTS };

export interface PeerSeries {
  /** EWMA mean per slot. */
  means: number[];
  /** EWMA variance per slot (between agents and over time). */
  variances: number[];
  /** Samples per slot, capped. */
  samples: number[];
}

export interface PeerItem {
  /** Distinct agents of the role that used it. */
  agents: number;
  lastSeen: number;
  /**
   * When the first agent past its learning period began using it (event time; absent: none yet). A second agent's
   * first use soon after is a rollout; uses made while learning do not count, so an item planted quietly by a new
   * agent cannot make an established agent's first use of it look like one.
   */
  firstJudgedUse?: number;
}

export interface RolePeers {
  agents: Set<string>;
  /** Event time at which the role's seen-sets started (Infinity: not yet). Once a learning period old, they are a basis for cold-start judgments. */
  since: number;
  series: Map<string, PeerSeries>;
  /** kind (resource/target/action) -> item -> usage. */
  seen: Map<string, Map<string, PeerItem>>;
  /** metric -> the agents of the role currently accumulating on it (crew.ts). */
  crews: Map<string, CrewState>;
  /** key -> the size of one event per action and metric over the role's agents past their learning period (actionSizes.ts). */
  sizes: Map<string, ActionSizes>;
}

const COUNT_CAP = 1_000_000;

export function newPeerSeries(): PeerSeries {
  return { means: new Array<number>(SEASON_SLOTS).fill(0), variances: new Array<number>(SEASON_SLOTS).fill(0), samples: new Array<number>(SEASON_SLOTS).fill(0) };
}

/** Exponentially weighted mean and variance; the first samples are averaged plainly. */
export function learnPeer(series: PeerSeries, slot: number, value: number, alpha: number): void {
  const samples = series.samples[slot]!;
  const weight = Math.max(alpha, 1 / (samples + 1));
  const mean = series.means[slot]!;
  const deviation = value - mean;
  series.means[slot] = roundSig(mean + weight * deviation);
  series.variances[slot] = roundSig((1 - weight) * (series.variances[slot]! + weight * deviation * deviation));
  series.samples[slot] = samples < COUNT_CAP ? samples + 1 : samples;
}

// Factories at module level: the getters run per event, and an arrow written inside them is a closure per call.
const newRolePeers = (): RolePeers => ({ agents: new Set(), since: Infinity, series: new Map(), seen: new Map(), crews: new Map(), sizes: new Map() });
const newSeenMap = (): Map<string, PeerItem> => new Map();

/** The map's entry for `key`, created by `make` when missing. */
function entry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

export class PeerGroups {
  private readonly roles = new Map<string, RolePeers>();

  role(name: string): RolePeers {
    return entry(this.roles, name, newRolePeers);
  }

  series(role: string, key: string): PeerSeries {
    return entry(this.role(role).series, key, newPeerSeries);
  }

  crew(role: string, metric: string): CrewState {
    return entry(this.role(role).crews, metric, createCrew);
  }

  /** `make` creates the entry when missing: a function of the caller's module (no closure per call on this per-event path). */
  actionSizes(role: string, key: string, make: () => ActionSizes): ActionSizes {
    return entry(this.role(role).sizes, key, make);
  }

  seenMap(role: string, kind: string): Map<string, PeerItem> {
    return entry(this.role(role).seen, kind, newSeenMap);
  }

  /**
   * Fleet-level prior for an item: over the roles other than `except` whose seen-sets started at or before
   * `startedBy`, how many agents used it out of how many agents (what a role with no peers is compared with).
   */
  fleetUse(kind: string, item: string, except: string, startedBy: number): { users: number; agents: number } {
    let users = 0;
    let agents = 0;
    for (const [name, r] of this.roles) {
      if (name === except || r.since > startedBy) continue;
      agents += r.agents.size;
      users += r.seen.get(kind)?.get(item)?.agents ?? 0;
    }
    return { users: Math.min(users, agents), agents };
  }

  roleNames(): string[] {
    return [...this.roles.keys()];
  }

  /** Entries, not objects: role names and items come from events (think "__proto__"). */
  snapshot(): Json {
    const out: Json[] = [];
    for (const [name, r] of this.roles) {
      const series: Json[] = [];
      for (const [k, s] of r.series) series.push([k, s.means, s.variances, s.samples]);
      const seen: Json[] = [];
      for (const [kind, items] of r.seen) seen.push([kind, [...items].map(([item, u]) => (u.firstJudgedUse === undefined ? [item, u.agents, u.lastSeen] : [item, u.agents, u.lastSeen, u.firstJudgedUse]))]);
      const crews: Json[] = [...r.crews].map(([metric, crew]) => [metric, snapshotCrew(crew)]);
      const sizes: Json[] = [...r.sizes].map(([key, fits]) => {
        const parts = actionSizesParts(fits);
        return [key, parts.actions, parts.metrics, parts.fits];
      });
      out.push([name, [...r.agents], series, seen, Number.isFinite(r.since) ? r.since : null, crews, sizes]);
    }
    return out;
  }

  static restore(json: Json): PeerGroups {
    const groups = new PeerGroups();
    if (!Array.isArray(json)) return groups;
    for (const raw of json as unknown as [string, string[], [string, number[], number[], number[]][], [string, [string, number, number, number?][]][], (number | null)?, [string, unknown][]?, [string, string[], number, number[]][]?][]) {
      const [name, agents, series, seen, since, crews, sizes] = raw;
      const r = groups.role(name);
      // Snapshots from before `since` existed: a role with agents has history of unknown age, taken as old enough.
      r.since = typeof since === 'number' ? since : agents.length > 0 ? Number.MIN_SAFE_INTEGER : Infinity;
      for (const a of agents) r.agents.add(a);
      for (const [k, means, variances, samples] of series) r.series.set(k, { means: [...means], variances: [...variances], samples: [...samples] });
      for (const [metric, crew] of crews ?? []) r.crews.set(metric, restoreCrew(crew));
      for (const [key, actions, metrics, fits] of sizes ?? []) r.sizes.set(key, copyActionSizes({ actions, metrics, fits }));
      for (const [kind, items] of seen) r.seen.set(kind, new Map(items.map(([item, n, lastSeen, firstJudgedUse]) => [item, typeof firstJudgedUse === 'number' ? { agents: n, lastSeen, firstJudgedUse } : { agents: n, lastSeen }])));
    }
    return groups;
  }
}
