/**
 * The detector's self-monitoring loop: every `detector.health.intervalMs` it
 * samples what the service knows (its partitions, their progress and
 * uncheckpointed age, the dead letters since the last sample) and what Kafka
 * knows (end offsets, the group's committed offsets), lets the pure
 * HealthMonitor decide, and publishes the alerts it returns. A failing
 * sample is logged and retried at the next tick: monitoring never stops the
 * detector.
 */
import type { Admin } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import type { Alert } from '../../shared/schemas/generated.js';
import { HealthMonitor, type PartitionSample } from './health.js';

/** What the service tells the probe about the partitions it owns. */
export interface HealthView {
  assigned(): number[];
  /** Last offset whose effects the in-process state holds (undefined before the partition's first batch). */
  processed(partition: number): bigint | undefined;
  /** When the partition last moved forward, or was assigned. */
  progressAt(partition: number): number;
  /** When its oldest uncheckpointed progress began; null when nothing is pending. */
  pendingSince(partition: number): number | null;
  /** Dead-lettered records since the previous call. */
  takeDeadLetters(): number;
}

export interface HealthProbeOptions {
  admin: Admin;
  groupId: string;
  topic: string;
  intervalMs: number;
  monitor: HealthMonitor;
  view: HealthView;
  publish(alerts: Alert[]): Promise<void>;
  /** Told after each sample, whether it worked (a metric). */
  onSample?: (ok: boolean) => void;
  logger: Logger;
  now?: () => number;
}

export class HealthProbe {
  readonly #o: HealthProbeOptions;
  #timer: NodeJS.Timeout | null = null;
  #lastAt: number;
  #running: Promise<void> | null = null;

  constructor(options: HealthProbeOptions) {
    this.#o = options;
    this.#lastAt = this.#now();
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    await this.#o.admin.connect();
    this.#timer = setInterval(() => {
      // One sample at a time: a slow broker must not pile samples up.
      this.#running ??= this.tick()
        .then(() => this.#o.onSample?.(true))
        .catch((err: Error) => {
          this.#o.onSample?.(false);
          this.#o.logger.warn({ err: err.message }, 'health sample failed; next interval retries');
        })
        .finally(() => (this.#running = null));
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** One sample: the alerts it raised (already published). */
  async tick(): Promise<Alert[]> {
    const { admin, groupId, topic, view, monitor } = this.#o;
    const assigned = view.assigned();
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const highOf = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
    const committedOf = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    const now = this.#now();
    const partitions: PartitionSample[] = assigned.map((partition) => {
      const high = highOf.get(partition) ?? 0n;
      // The next record to process: after the in-process progress, else after the group's commit (-1: none yet).
      const processed = view.processed(partition);
      const commit = committedOf.get(partition) ?? -1n;
      const next = processed !== undefined && processed + 1n > commit ? processed + 1n : commit < 0n ? 0n : commit;
      const since = view.pendingSince(partition);
      return { partition, lagRecords: Number(high > next ? high - next : 0n), msSinceProgress: now - view.progressAt(partition), checkpointAgeMs: since === null ? null : now - since };
    });
    const alerts = monitor.evaluate({ atMs: now, windowMs: now - this.#lastAt, dlqRecords: view.takeDeadLetters(), partitions });
    this.#lastAt = now;
    if (alerts.length > 0) {
      await this.#o.publish(alerts);
      for (const a of alerts) this.#o.logger.warn({ ruleId: a.ruleId, title: a.title }, 'health alert');
    }
    return alerts;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
    await this.#o.admin.disconnect().catch(() => undefined);
  }
}
