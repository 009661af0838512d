/**
 * The group-series snapshot: named fields, versioned (GROUP_CODEC_VERSION). Each metric's series goes through
 * the series codec (baseline/seriesCodec.ts, itself versioned); group names and agent ids come from events, so
 * maps are written as entries, never as object keys ("__proto__"). Any other version throws
 * SnapshotVersionError: the caller starts the groups afresh.
 */
import type { SeriesParams } from '../../baseline/series.js';
import { SnapshotVersionError, restoreSeries, snapshotSeries } from '../../baseline/seriesCodec.js';
import type { Json } from '../../types.js';
import { GROUP_KINDS, GROUP_METRICS, MAX_CONTRIBUTORS, MAX_GROUPS_PER_KIND, METRIC_COUNT, createBook, type Contribution, type ContributionBucket, type GroupBook, type GroupKind, type GroupSeries } from './state.js';

export const GROUP_CODEC_VERSION = 1;

interface BucketJson {
  bucket: number;
  /** [agentId, tenantId, values per metric] */
  agents: [string, string, number[]][];
  others: number[];
  otherAgents: number;
}

interface GroupJson {
  kind: GroupKind;
  name: string;
  firstSeen: number;
  openBucket: number;
  series: Record<string, Json>;
  recent: BucketJson[];
}

interface BookJson {
  version: number;
  overflowEvents: number;
  overflowContributors: number;
  groups: GroupJson[];
}

export function snapshotBook(book: GroupBook): Json {
  const groups: GroupJson[] = [];
  for (const kind of GROUP_KINDS) {
    for (const g of book[kind].values()) {
      const series: Record<string, Json> = {};
      GROUP_METRICS.forEach((m, i) => (series[m] = snapshotSeries(g.series[i]!)));
      groups.push({
        kind,
        name: g.name,
        firstSeen: g.firstSeen,
        openBucket: g.openBucket,
        series,
        recent: g.recent.map((cb) => ({ bucket: cb.bucket, agents: [...cb.agents.values()].map((c) => [c.agentId, c.tenantId, [...c.values]]), others: [...cb.others], otherAgents: cb.otherAgents })),
      });
    }
  }
  const out: BookJson = { version: GROUP_CODEC_VERSION, overflowEvents: book.overflowEvents, overflowContributors: book.overflowContributors, groups };
  return out as unknown as Json;
}

const isNumbers = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Throws SnapshotVersionError for another version, and Error for a malformed value (the caller counts both). */
export function restoreBook(json: Json, paramsOf: (kind: GroupKind) => readonly SeriesParams[]): GroupBook {
  const o = json as unknown as BookJson;
  if (!o || typeof o !== 'object' || Array.isArray(o) || o.version !== GROUP_CODEC_VERSION) throw new SnapshotVersionError('group-series', (o as { version?: unknown } | null)?.version, GROUP_CODEC_VERSION);
  if (!Array.isArray(o.groups)) throw new Error('group-series snapshot: groups is not a list');
  const book = createBook();
  book.overflowEvents = o.overflowEvents;
  book.overflowContributors = o.overflowContributors;
  for (const gj of o.groups) {
    if (!GROUP_KINDS.includes(gj.kind) || typeof gj.name !== 'string') throw new Error('group-series snapshot: a group has no kind or name');
    const map = book[gj.kind];
    if (map.size >= MAX_GROUPS_PER_KIND) throw new Error(`group-series snapshot: more than ${MAX_GROUPS_PER_KIND} ${gj.kind} groups`);
    const recent: ContributionBucket[] = gj.recent.map((b) => {
      if (!isNumbers(b.others, METRIC_COUNT) || b.agents.length > MAX_CONTRIBUTORS) throw new Error('group-series snapshot: malformed contribution bucket');
      const agents = new Map<string, Contribution>();
      for (const [agentId, tenantId, values] of b.agents) {
        if (!isNumbers(values, METRIC_COUNT)) throw new Error('group-series snapshot: malformed contribution');
        agents.set(agentId, { agentId, tenantId, values: [...values] });
      }
      return { bucket: b.bucket, agents, others: [...b.others], otherAgents: b.otherAgents };
    });
    const g: GroupSeries = {
      kind: gj.kind,
      name: gj.name,
      firstSeen: gj.firstSeen,
      openBucket: gj.openBucket,
      series: GROUP_METRICS.map((m, i) => restoreSeries(gj.series[m]!, paramsOf(gj.kind)[i]!)),
      recent,
    };
    map.set(gj.name, g);
  }
  return book;
}
