/**
 * volume-spike.role-accumulation: one pull split across several agents of a role (baseline/crew.ts says how it is
 * judged). Part of the volume-spike detector, which owns the records and bytes-out series whose readings it uses
 * (a detector of its own would keep a second copy of them). The alert is raised on the agent whose reading
 * completed the crew and names every member with its total and its share of the crew's excess; it is MEDIUM by
 * default and matched by no isolation rule: a coincidence across agents asks for a human to look, and isolating
 * one member would leave the others pulling.
 *
 * Role-level state lives in PeerGroups, which is instance state: with several detector instances a crew is seen
 * when its members' partitions are on one instance (README, "Scale-out").
 */
import { z } from 'zod';
import type { AccumulationTracker } from '../baseline/accumulation.js';
import { reportToCrew, type CrewVerdict } from '../baseline/crew.js';
import { roundSig } from '../baseline/robust.js';
import { positiveInt } from '../rules/thresholds.js';
import type { DetectionContext, Finding } from '../types.js';
import { rule } from './define.js';

export const RoleAccumulationThresholds = z
  .object({
    /** Each member's last hour or two at least this many of its own sds above what its history expects. */
    z: z.number().positive(),
    /** Members at that z at once. */
    minAgents: z.number().int().min(2),
    /** A member's reading counts this many buckets (agents close buckets on their own events, not in step). */
    freshBuckets: positiveInt,
    /** At most this share of the role's agents reporting at the time elevated (more: the role's day changed). */
    maxShare: z.number().gt(0).max(1),
  })
  .strict();

export type RoleAccumulationThresholdValues = z.infer<typeof RoleAccumulationThresholds>;

export const roleAccumulationRule = rule(RoleAccumulationThresholds, {
  description: 'Several agents of one role each move far more records or bytes than their own usual at the same time: one pull split across agents so that no agent alone alerts.',
  severity: 'MEDIUM',
  tags: ['owasp-llm:LLM02', 'atlas:AML.T0025', 'mitre:T1213', 'mitre:T1030'],
  thresholds: { z: 3.5, minAgents: 3, freshBuckets: 3, maxShare: 0.5 },
});

export interface CrewSeriesText {
  metric: string;
  what: string;
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2));

/**
 * After one of the agent's series closed `closed`: its crew reading (if it made one for that bucket, past the
 * agent's learning period) goes to the role's crew; a finding when the crew alarms with this agent in it.
 */
export function reportCrew(tracker: AccumulationTracker | null, closed: number, bucketMs: number, th: RoleAccumulationThresholdValues, text: CrewSeriesText, ctx: DetectionContext<unknown>): Finding | null {
  const reading = tracker?.lastCrew;
  if (!reading || reading.bucket !== closed || ctx.learning) return null;
  const verdict = reportToCrew(ctx.peers.crew(ctx.agentRole, text.metric), th, ctx.agentId, reading);
  if (!verdict || !verdict.members.some((m) => m.agentId === ctx.agentId)) return null;
  return crewFinding(verdict, reading.buckets, closed, bucketMs, th, text, ctx);
}

function crewFinding(verdict: CrewVerdict, buckets: number, closed: number, bucketMs: number, th: RoleAccumulationThresholdValues, text: CrewSeriesText, ctx: DetectionContext<unknown>): Finding {
  const excess = Math.max(Number.MIN_VALUE, verdict.total - verdict.expectedTotal);
  const shares = verdict.members.map((m) => ({ agentId: m.agentId, total: m.total, expected: m.expectedTotal, share: Math.max(0, m.total - m.expectedTotal) / excess, z: m.z }));
  const names = shares.map((s) => `${s.agentId} (${Math.round(s.share * 100)}%)`).join(', ');
  const start = (closed - buckets + 1) * bucketMs;
  const end = (closed + 1) * bucketMs;
  const hours = (end - start) / 3_600_000;
  const minZ = Math.min(...shares.map((s) => s.z));
  return {
    detector: 'volume-spike',
    ruleId: 'volume-spike.role-accumulation',
    score: Math.min(0.9, 0.6 + (0.3 * (minZ - th.z)) / th.z),
    title: `${text.what} accumulating on ${shares.length} ${ctx.agentRole} agents at once: ${names}`,
    description: `${shares.length} agents of role ${ctx.agentRole} each moved far more ${text.what} than their own history expects over about the last ${hours.toFixed(1)} h, at the same time: together ${fmt(roundSig(verdict.total))} against ~${fmt(roundSig(verdict.expectedTotal))} expected. Shares of the excess: ${names}. No agent's own total alerted; a pull split across agents looks like this (or a role-wide change of workload).`,
    metric: `${text.metric} of the role's agents, last ${hours.toFixed(1)} h`,
    observed: roundSig(verdict.total),
    baseline: { mean: roundSig(verdict.expectedTotal), std: null, median: null, mad: null, sampleSize: shares.length, source: 'peer' },
    windowStart: start,
    windowEnd: end,
    relatedEventIds: ctx.recentEventIds(),
    details: {
      role: ctx.agentRole,
      members: shares.map((s) => s.agentId).join(','),
      shares: shares.map((s) => s.share.toFixed(2)).join(','),
      memberTotals: shares.map((s) => fmt(roundSig(s.total))).join(','),
      memberExpected: shares.map((s) => fmt(roundSig(s.expected))).join(','),
      memberZ: shares.map((s) => s.z.toFixed(1)).join(','),
      horizonBuckets: String(buckets),
      bucketMs: String(bucketMs),
    },
  };
}
