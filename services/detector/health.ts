/**
 * Self-monitoring of the detector, as Falco alerts on its own drops: when it
 * falls behind (consumer lag), dead-letters a flood (DLQ rate), cannot write
 * its state (checkpoint age) or stops moving on a partition that has records
 * (stalled partition), it raises an alert of its own on security.alerts, with
 * rule ids `warden.health.*`. Pure: the service samples, this decides. Each
 * kind fires at most once per `repeatAfterMs` while its condition holds, so a
 * long outage is a few alerts, not a flood; never silent.
 *
 * The alerts are about the pipeline, not an agent: they carry the fleet key
 * `*`, which the response gate refuses to isolate on any alert path.
 */
import { createHash } from 'node:crypto';
import type { Alert, Severity } from '../../shared/schemas/generated.js';

export const HEALTH_DETECTOR = 'warden-health';

export const HEALTH_RULES = {
  lag: 'warden.health.consumer-lag',
  dlqRate: 'warden.health.dlq-rate',
  checkpointAge: 'warden.health.checkpoint-age',
  stalled: 'warden.health.stalled-partition',
} as const;

export type HealthKind = keyof typeof HEALTH_RULES;

export interface HealthThresholds {
  /** Records behind the end of one partition. */
  maxLagRecords: number;
  /** Records dead-lettered per minute, over one sampling interval. */
  maxDlqPerMinute: number;
  /** Age of the oldest progress not yet checkpointed to Redis (and so not committed to Kafka). */
  maxCheckpointAgeMs: number;
  /** A partition with records to read and no progress for this long is stalled. */
  stalledAfterMs: number;
  /** One alert per kind at most this often while its condition holds. */
  repeatAfterMs: number;
}

export interface PartitionSample {
  partition: number;
  /** Records between what the detector has processed and the end of the partition. */
  lagRecords: number;
  /** Since the partition last moved forward (or was assigned, if it never did). */
  msSinceProgress: number;
  /** Age of its oldest uncheckpointed progress; null when everything processed is checkpointed. */
  checkpointAgeMs: number | null;
}

export interface HealthSample {
  atMs: number;
  /** The interval the DLQ count covers. */
  windowMs: number;
  dlqRecords: number;
  /** The partitions this instance owns. */
  partitions: PartitionSample[];
}

export interface HealthSource {
  groupId: string;
  /** This instance (its Kafka client id): two instances of a group report their own partitions. */
  instance: string;
  topic: string;
}

interface Finding { kind: HealthKind; severity: Severity; observed: number; limit: number; title: string; description: string; details: Record<string, string> }

export class HealthMonitor {
  readonly #lastFired = new Map<HealthKind, number>();

  constructor(
    readonly thresholds: HealthThresholds,
    readonly source: HealthSource,
  ) {}

  /** The alerts due for this sample (rate-limited per kind). */
  evaluate(sample: HealthSample): Alert[] {
    const alerts: Alert[] = [];
    for (const f of this.#findings(sample)) {
      const last = this.#lastFired.get(f.kind);
      if (last !== undefined && sample.atMs - last < this.thresholds.repeatAfterMs) continue;
      this.#lastFired.set(f.kind, sample.atMs);
      alerts.push(this.#alert(f, sample));
    }
    return alerts;
  }

  #findings(s: HealthSample): Finding[] {
    const t = this.thresholds;
    const { topic } = this.source;
    const out: Finding[] = [];
    const worst = <K extends keyof PartitionSample>(key: K, over: (p: PartitionSample) => boolean) =>
      s.partitions.filter(over).sort((a, b) => Number(b[key] ?? 0) - Number(a[key] ?? 0));
    const list = (ps: PartitionSample[], value: (p: PartitionSample) => string) => ps.slice(0, 10).map((p) => `${p.partition}: ${value(p)}`).join(', ');

    const lagging = worst('lagRecords', (p) => p.lagRecords > t.maxLagRecords);
    if (lagging.length > 0) {
      const top = lagging[0]!.lagRecords;
      out.push({
        kind: 'lag', severity: top > 10 * t.maxLagRecords ? 'HIGH' : 'MEDIUM', observed: top, limit: t.maxLagRecords,
        title: `Detector behind on ${lagging.length} partition(s) of ${topic}: up to ${top} records`,
        description: `Consumer lag above ${t.maxLagRecords} records on partitions ${list(lagging, (p) => `${p.lagRecords}`)}. Alerts on these agents come late by that backlog; add partitions and detector instances, or look for a slow dependency.`,
        details: { partitions: lagging.map((p) => p.partition).join(','), lagRecords: lagging.map((p) => p.lagRecords).join(',') },
      });
    }

    const perMinute = s.windowMs > 0 ? (s.dlqRecords * 60_000) / s.windowMs : 0;
    if (perMinute > t.maxDlqPerMinute) {
      out.push({
        kind: 'dlqRate', severity: perMinute > 10 * t.maxDlqPerMinute ? 'HIGH' : 'MEDIUM', observed: Math.round(perMinute), limit: t.maxDlqPerMinute,
        title: `${s.dlqRecords} records dead-lettered in ${Math.round(s.windowMs / 1000)} s on ${topic}`,
        description: `The dead-letter rate is ${Math.round(perMinute)} records a minute (limit ${t.maxDlqPerMinute}). Read the reasons in the DLQ headers: a broken producer, a schema change, or forged traffic.`,
        details: { dlqRecords: String(s.dlqRecords), windowMs: String(s.windowMs) },
      });
    }

    const stale = worst('checkpointAgeMs', (p) => p.checkpointAgeMs !== null && p.checkpointAgeMs > t.maxCheckpointAgeMs);
    if (stale.length > 0) {
      const top = stale[0]!.checkpointAgeMs!;
      out.push({
        kind: 'checkpointAge', severity: 'HIGH', observed: top, limit: t.maxCheckpointAgeMs,
        title: `State not checkpointed for ${Math.round(top / 1000)} s on ${stale.length} partition(s) of ${topic}`,
        description: `Progress older than ${Math.round(t.maxCheckpointAgeMs / 1000)} s is not in Redis nor committed to Kafka (partitions ${list(stale, (p) => `${Math.round(p.checkpointAgeMs! / 1000)} s`)}): a crash now re-reads all of it. Check Redis.`,
        details: { partitions: stale.map((p) => p.partition).join(','), checkpointAgeMs: stale.map((p) => p.checkpointAgeMs).join(',') },
      });
    }

    const stalled = worst('msSinceProgress', (p) => p.lagRecords > 0 && p.msSinceProgress > t.stalledAfterMs);
    if (stalled.length > 0) {
      const top = stalled[0]!.msSinceProgress;
      out.push({
        kind: 'stalled', severity: 'HIGH', observed: top, limit: t.stalledAfterMs,
        title: `${stalled.length} partition(s) of ${topic} stalled for ${Math.round(top / 1000)} s`,
        description: `No progress for more than ${Math.round(t.stalledAfterMs / 1000)} s while records wait (partitions ${list(stalled, (p) => `${p.lagRecords} records, ${Math.round(p.msSinceProgress / 1000)} s`)}): the agents on them are not watched. See the detector's log for the failing batch.`,
        details: { partitions: stalled.map((p) => p.partition).join(','), lagRecords: stalled.map((p) => p.lagRecords).join(',') },
      });
    }
    return out;
  }

  #alert(f: Finding, s: HealthSample): Alert {
    const { groupId, instance, topic } = this.source;
    const rule = HEALTH_RULES[f.kind];
    const alertId = createHash('sha256').update(`${rule}\n${groupId}\n${instance}\n${s.atMs}`).digest('hex').slice(0, 32);
    return {
      alertId, agentId: '*', agentRole: 'pipeline', tenantId: 'all', detector: HEALTH_DETECTOR, ruleId: rule,
      title: f.title, description: f.description, severity: f.severity, score: Math.min(100, Math.round((50 * f.observed) / Math.max(1, f.limit))),
      firstSeen: s.atMs, lastSeen: s.atMs, count: 1,
      evidence: {
        metric: rule, observed: f.observed, baselineMean: null, baselineStd: null, baselineMedian: null, baselineMad: null, sampleSize: 0,
        baselineSource: 'rule', windowStart: s.atMs - s.windowMs, windowEnd: s.atMs, relatedEventIds: [],
        details: { ...f.details, limit: String(f.limit), groupId, instance, topic },
      },
      tags: ['warden:health'],
    };
  }
}
