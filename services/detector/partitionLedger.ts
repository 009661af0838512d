/**
 * What the detector knows about each partition it owns, apart from the agents'
 * state: how far its in-process state goes (processed), how far Redis has it
 * (checkpointed), what is processed but not yet checkpointed (pending), when it
 * last moved forward, and its epoch. Dropping a partition (it moved away at a
 * rebalance, or one of its batches failed) bumps its epoch and forgets its
 * progress: work that awaited across the bump is stale and must neither mark
 * progress nor checkpoint. Other partitions are untouched. No I/O.
 */

export interface PendingCheckpoint {
  topic: string;
  /** Last processed offset not yet checkpointed (null: nothing pending). */
  lastOffset: string | null;
  agents: Set<string>;
  /** When the partition was last checkpointed (or its pending record began). */
  checkpointedAt: number;
}

export class PartitionLedger {
  /** The partitions of the events topic this instance owns, from its last join. */
  assigned: number[] = [];
  readonly #epochs = new Map<number, number>();
  /** Last offset whose effects the in-process state holds. */
  readonly #processed = new Map<number, bigint>();
  /** Last offset whose effects are in Redis (read at resume, then set by each checkpoint). */
  readonly #checkpointed = new Map<number, bigint>();
  readonly #pending = new Map<number, PendingCheckpoint>();
  readonly #progressAt = new Map<number, number>();

  constructor(private readonly now: () => number = Date.now) {}

  epochOf(partition: number): number {
    return this.#epochs.get(partition) ?? 0;
  }

  processed(partition: number): bigint | undefined {
    return this.#processed.get(partition);
  }

  /** The partition's first batch here: its progress starts at what Redis covers. */
  resume(partition: number, covered: bigint): void {
    this.#processed.set(partition, covered);
    this.#checkpointed.set(partition, covered);
  }

  /** A batch's effects are kept: the state covers `coveredAfter`, and these agents changed. */
  advance(topic: string, partition: number, coveredAfter: string, dirty: Iterable<string>): PendingCheckpoint {
    this.#processed.set(partition, BigInt(coveredAfter));
    this.#progressAt.set(partition, this.now());
    const pending = this.pendingOf(topic, partition);
    pending.lastOffset = coveredAfter;
    for (const a of dirty) pending.agents.add(a);
    return pending;
  }

  pendingOf(topic: string, partition: number): PendingCheckpoint {
    let p = this.#pending.get(partition);
    if (!p) {
      p = { topic, lastOffset: null, agents: new Set(), checkpointedAt: this.now() };
      this.#pending.set(partition, p);
    }
    return p;
  }

  pending(partition: number): PendingCheckpoint | undefined {
    return this.#pending.get(partition);
  }

  /** The pending checkpoint is in Redis up to `lastOffset`. */
  checkpointed(partition: number, lastOffset: string): void {
    this.#checkpointed.set(partition, BigInt(lastOffset));
    const pending = this.#pending.get(partition);
    if (!pending) return;
    pending.agents.clear();
    pending.lastOffset = null;
    pending.checkpointedAt = this.now();
  }

  /** Partitions with progress pending since `before` or earlier. */
  due(before: number): number[] {
    return [...this.#pending.entries()].filter(([, p]) => p.lastOffset !== null && p.checkpointedAt <= before).map(([partition]) => partition);
  }

  /** When its oldest uncheckpointed progress began; null when nothing is pending. */
  pendingSince(partition: number): number | null {
    const p = this.#pending.get(partition);
    return p && p.lastOffset !== null ? p.checkpointedAt : null;
  }

  progressAt(partition: number): number {
    return this.#progressAt.get(partition) ?? this.now();
  }

  /** Every partition with progress of some kind here. */
  known(): number[] {
    return [...new Set([...this.#processed.keys(), ...this.#pending.keys()])];
  }

  /** A join gave these partitions: new ones count as moving forward from now (for the stall check). */
  assign(partitions: number[]): void {
    const mine = new Set(partitions);
    this.assigned = [...partitions];
    for (const p of partitions) if (!this.#progressAt.has(p)) this.#progressAt.set(p, this.now());
    for (const p of this.#progressAt.keys()) if (!mine.has(p)) this.#progressAt.delete(p);
  }

  /** Forgets the partition's progress and bumps its epoch; returns how many processed records were not yet checkpointed. */
  drop(partition: number): number {
    this.#epochs.set(partition, this.epochOf(partition) + 1);
    const processed = this.#processed.get(partition);
    const checkpointed = this.#checkpointed.get(partition);
    this.#processed.delete(partition);
    this.#checkpointed.delete(partition);
    this.#pending.delete(partition);
    return processed !== undefined && checkpointed !== undefined && processed > checkpointed ? Number(processed - checkpointed) : 0;
  }
}
