/**
 * When a group total is a group finding, and what the finding says. A group total crosses its threshold for two
 * different reasons: one member did something large (that member's own series says so, and the per-agent
 * detectors alert on it), or several members each did part of it (a pull split across agents, each under its own
 * threshold): only the second is the group's. So a group finding needs the excess over the group's expectation
 * spread over members with no alert of their own (carriersOf), where a member's own part of the expectation is
 * taken as an equal share of it among the bucket's contributors (the group keeps no per-member baseline: that
 * is the per-agent detectors' state).
 */
import type { Finding, BaselineStats } from '../../types.js';
import type { GroupSeries, Share } from './state.js';

export interface SpreadRule {
  minAgents: number;
  minAgentShare: number;
  maxTopShare: number;
}

/**
 * The members that carry the excess, largest first (empty: not the group's finding). The excess over `expected`
 * must be spread (no member carries more than `maxTopShare` of it), at least `minAgents` members must each carry
 * `minAgentShare` of it without an alert of their own (`alerted`: a member its own detectors already name is not
 * a hidden part of the total), and those members together must carry at least `needed` of it.
 */
export function carriersOf(shares: readonly Share[], otherAgents: number, total: number, expected: number, needed: number, rule: SpreadRule, alerted: (agentId: string) => boolean): Share[] {
  const excess = total - expected;
  if (excess <= 0 || shares.length === 0) return [];
  const contributors = shares.length + otherAgents;
  const ownExpected = expected / Math.max(1, contributors);
  // Shares are sorted largest first.
  if (shares[0]!.value - ownExpected > rule.maxTopShare * excess) return [];
  const carriers = shares.filter((s) => s.value - ownExpected >= rule.minAgentShare * excess && !alerted(s.agentId));
  if (carriers.length < rule.minAgents) return [];
  const carried = carriers.reduce((a, s) => a + (s.value - ownExpected), 0);
  return carried >= needed ? carriers : [];
}

/** The id an alert about a group carries: a reserved prefix (shared/identity refuses it as an agent id). */
export function subjectIdOf(g: GroupSeries): string {
  return `group:${g.kind}:${g.name}`;
}

const fmt = (v: number): string => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(v >= 100 ? 0 : 2));
const pct = (v: number, total: number): string => `${total > 0 ? Math.round((100 * v) / total) : 0}%`;

/** At most this many agents named in the text (all carriers always are). */
const NAMED_AGENTS = 10;

export interface GroupFindingInput {
  detector: string;
  ruleId: string;
  group: GroupSeries;
  /** e.g. "records", "bytes out". */
  what: string;
  metric: string;
  score: number;
  observed: number;
  expected: number;
  threshold: number;
  /** 1 for a bucket; the shift's horizon for a sustained rise. */
  horizonBuckets: number;
  windowStart: number;
  windowEnd: number;
  bucketMs: number;
  shares: Share[];
  others: number;
  otherAgents: number;
  carriers: Share[];
  baseline: BaselineStats;
  relatedEventIds: string[];
  /** "spike" (one bucket) or "sustained rise" (over the horizon). */
  kind: 'spike' | 'sustained rise';
}

/** The alert text and details: the group, its total and baseline, the horizon, every carrier with its share. */
export function groupFinding(x: GroupFindingInput): Finding {
  const g = x.group;
  const total = x.observed;
  const named = x.shares.slice(0, Math.max(NAMED_AGENTS, x.carriers.length));
  const rest = x.shares.slice(named.length);
  const restValue = rest.reduce((a, s) => a + s.value, 0) + x.others;
  const restAgents = rest.length + x.otherAgents;
  const sharesText = [...named.map((s) => `${s.agentId} ${fmt(s.value)} (${pct(s.value, total)})`), ...(restAgents > 0 ? [`${restAgents} other agents ${fmt(restValue)} (${pct(restValue, total)})`] : [])].join(', ');
  const minutes = Math.round((x.horizonBuckets * x.bucketMs) / 60_000);
  const carriersText = x.carriers.map((s) => s.agentId).join(', ');
  const tenants = new Set(x.carriers.map((s) => s.tenantId));
  return {
    detector: x.detector,
    ruleId: x.ruleId,
    score: x.score,
    title: `${x.what} ${x.kind} across ${g.kind} ${g.name}: ${fmt(total)} in ${minutes} min (expected ~${fmt(x.expected)}), carried by ${x.carriers.length} agents`,
    description:
      `The agents of ${g.kind} ${g.name} together reached ${fmt(total)} ${x.what} in the ${minutes} minutes from ${new Date(x.windowStart).toISOString()}, against ~${fmt(x.expected)} expected from the ${g.kind}'s own history for this hour (alert threshold ${fmt(x.threshold)}). ` +
      `The excess is carried by ${x.carriers.length} agents (${carriersText}), none of which alone makes it: possibly one data pull split across agents. Shares of the total: ${sharesText}. ` +
      `This alert is about a group: it names agents to look at and isolates none.`,
    metric: x.metric,
    observed: total,
    baseline: x.baseline,
    windowStart: x.windowStart,
    windowEnd: x.windowEnd,
    relatedEventIds: x.relatedEventIds,
    details: {
      groupKind: g.kind,
      group: g.name,
      agents: carriersText,
      shares: sharesText,
      contributors: String(x.shares.length + x.otherAgents),
      expected: fmt(x.expected),
      threshold: fmt(x.threshold),
      horizonBuckets: String(x.horizonBuckets),
      horizonMinutes: String(minutes),
      bucketMs: String(x.bucketMs),
      ...(tenants.size === 1 ? {} : { tenants: [...tenants].sort().join(', ') }),
    },
    subject: {
      agentId: subjectIdOf(g),
      agentRole: g.kind === 'role' ? g.name : '',
      tenantId: g.kind === 'tenant' ? g.name : tenants.size === 1 ? [...tenants][0]! : 'multiple',
    },
  };
}
