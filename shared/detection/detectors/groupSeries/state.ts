/**
 * The group-series state: per role and per tenant, one bucketed series per metric (the same SeriesState the
 * volume and rate detectors use, baseline/series.ts) and who contributed what to the last buckets. It is
 * instance state, shared by every agent of the group, so it lives in the detector object and is snapshotted
 * apart from agents (engine `snapshotGroups`, codec.ts). Bounded: at most MAX_GROUPS_PER_KIND groups of each
 * kind (an event of a group over the cap is not counted for that kind, and counted in `overflowEvents`), at
 * most MAX_CONTRIBUTORS named agents per bucket (the others are summed as one "other agents" entry and
 * counted), and HORIZON_BUCKETS buckets of contributions (the shift tracker's longest horizon).
 */
import type { SeriesState } from '../../baseline/series.js';

export type GroupKind = 'role' | 'tenant';
export const GROUP_KINDS: readonly GroupKind[] = ['role', 'tenant'];

/** The metrics a group totals, in this order everywhere (series, contributions, snapshot). */
export const GROUP_METRICS = ['records', 'bytesOut', 'tokens', 'actions'] as const;
export type GroupMetric = (typeof GROUP_METRICS)[number];
export const METRIC_COUNT = GROUP_METRICS.length;

/** Bounds (documented in the detection README): a fleet has a few roles and tenants; these are far above. */
export const MAX_GROUPS_PER_KIND = 512;
export const MAX_CONTRIBUTORS = 32;
/** Contributions are kept for as many buckets as the longest shift horizon (baseline/shift.ts MAX_HORIZON). */
export const HORIZON_BUCKETS = 12;

/** What one agent added to a group in one bucket, per metric. */
export interface Contribution {
  agentId: string;
  tenantId: string;
  values: number[];
}

/** One bucket of a group: its contributors (capped) and what the agents beyond the cap added. */
export interface ContributionBucket {
  bucket: number;
  agents: Map<string, Contribution>;
  /** Summed values of agents beyond MAX_CONTRIBUTORS, and how many such agents. */
  others: number[];
  otherAgents: number;
}

export interface GroupSeries {
  kind: GroupKind;
  name: string;
  /** Event time of the group's first event: the group's own learning period runs from it. */
  firstSeen: number;
  /** The group's open bucket (-1: none yet): the latest bucket any member's event fell in. */
  openBucket: number;
  /** One series per metric, GROUP_METRICS order. */
  series: SeriesState[];
  /** The last HORIZON_BUCKETS buckets' contributions, oldest first; the last is the open bucket's. */
  recent: ContributionBucket[];
}

export interface GroupBook {
  role: Map<string, GroupSeries>;
  tenant: Map<string, GroupSeries>;
  /** Events not counted for a kind because its group cap was reached. */
  overflowEvents: number;
  /** Agent-buckets summed as "other agents" because a bucket had MAX_CONTRIBUTORS named ones. */
  overflowContributors: number;
}

export function createBook(): GroupBook {
  return { role: new Map(), tenant: new Map(), overflowEvents: 0, overflowContributors: 0 };
}

export function newContributionBucket(bucket: number): ContributionBucket {
  return { bucket, agents: new Map(), others: new Array<number>(METRIC_COUNT).fill(0), otherAgents: 0 };
}

/** Add an agent's values to a bucket (named while there is room, else summed into the others). */
export function contribute(book: GroupBook, cb: ContributionBucket, agentId: string, tenantId: string, values: readonly number[]): void {
  let c = cb.agents.get(agentId);
  if (!c) {
    if (cb.agents.size >= MAX_CONTRIBUTORS) {
      // Counted once per agent and bucket would need a set of the others; counting per event is an upper bound.
      if (values.some((v) => v > 0)) {
        for (let m = 0; m < METRIC_COUNT; m++) cb.others[m]! += values[m]!;
        cb.otherAgents++;
        book.overflowContributors++;
      }
      return;
    }
    c = { agentId, tenantId, values: new Array<number>(METRIC_COUNT).fill(0) };
    cb.agents.set(agentId, c);
  }
  for (let m = 0; m < METRIC_COUNT; m++) c.values[m]! += values[m]!;
}

/** A member's share of what the group did in some buckets, for the alert's evidence. */
export interface Share {
  agentId: string;
  tenantId: string;
  value: number;
}

/**
 * Per-agent totals of one metric over the last `buckets` buckets of contributions (up to and including the open
 * one), largest first, and what agents beyond the cap added.
 */
export function sharesOver(g: GroupSeries, metric: number, buckets: number): { shares: Share[]; others: number; otherAgents: number } {
  const sums = new Map<string, Share>();
  let others = 0;
  let otherAgents = 0;
  for (const cb of g.recent.slice(-buckets)) {
    for (const c of cb.agents.values()) {
      const v = c.values[metric]!;
      if (v <= 0) continue;
      const s = sums.get(c.agentId);
      if (s) s.value += v;
      else sums.set(c.agentId, { agentId: c.agentId, tenantId: c.tenantId, value: v });
    }
    others += cb.others[metric]!;
    if (cb.others[metric]! > 0) otherAgents += cb.otherAgents;
  }
  const shares = [...sums.values()].sort((a, b) => b.value - a.value || (a.agentId < b.agentId ? -1 : 1));
  return { shares, others, otherAgents };
}
