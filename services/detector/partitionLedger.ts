/**
 * What the detector knows about each partition it owns, apart from the agents'
 * state: how far its in-process state goes (processed), how far Redis has it
 * (checkpointed), what is processed but not yet checkpointed (pending), the
 * checkpoint being encoded and written (in flight: at most one per partition,
 * while the partition keeps processing into a fresh pending record), when the
 * next checkpoint is due, when it last moved forward, and its epoch. Dropping a
 * partition (it moved away at a rebalance, or one of its batches failed) bumps
 * its epoch and forgets its progress: work that awaited across the bump is
 * stale and must neither mark progress nor checkpoint. Other partitions are
 * untouched. No I/O.
 *
 * It also knows, per partition, the agents whose stored state is ahead of the
 * partition's covered offset (a checkpoint encodes each agent as it stands:
 * checkpointCapture.ts): after a restart or a move their records up to their
 * own covered offset are already in their state and are skipped (`aheadOf`).
 *
 * Due times are spread: a partition's first checkpoint comes between one and
 * two intervals after it starts, at a point that depends on its number, so
 * partitions that started together do not all encode their agents in the
 * same second (at 20,000
 * events/s, 12 partitions checkpointing at once was ~8 s of CPU in one burst,
 * and every partition's batches waited behind it: bench/latency.ts).
 */
import { CheckpointCapture, type CaptureSource } from './checkpointCapture.js';
import type { StoredState } from './stateStore.js';

export interface PendingCheckpoint {
  topic: string;
  /** Last processed offset not yet checkpointed (null: nothing pending). */
  lastOffset: string | null;
  agents: Set<string>;
  /** When the partition was last checkpointed (or its pending record began). */
  checkpointedAt: number;
  /** When its next checkpoint is due (checkpointedAt + the interval; up to twice that for a first one: see the header). */
  dueAt: number;
}

/** Spreads first checkpoints over an interval: partition p's comes the fractional part of p x the golden ratio later. */
const SPREAD = (Math.sqrt(5) - 1) / 2;

export class PartitionLedger {
  /** The partitions of the events topic this instance owns, from its last join. */
  assigned: number[] = [];
  readonly #epochs = new Map<number, number>();
  /** Last offset whose effects the in-process state holds. */
  readonly #processed = new Map<number, bigint>();
  /** Last offset whose effects are in Redis (read at resume, then set by each checkpoint). */
  readonly #checkpointed = new Map<number, bigint>();
  readonly #pending = new Map<number, PendingCheckpoint>();
  readonly #inFlight = new Map<number, CheckpointCapture>();
  readonly #progressAt = new Map<number, number>();
  /** Per partition: agents loaded with a state ahead of what the partition has processed, and the offset it holds. */
  readonly #ahead = new Map<number, Map<string, bigint>>();

  constructor(
    private readonly now: () => number = Date.now,
    /** detector.checkpointIntervalMs (0: a checkpoint after every batch). */
    private readonly intervalMs = 0,
  ) {}

  epochOf(partition: number): number {
    return this.#epochs.get(partition) ?? 0;
  }

  processed(partition: number): bigint | undefined {
    return this.#processed.get(partition);
  }

  /** The covered offsets Redis may hold for the partition now: the last checkpointed, and the one in flight (it may have landed). */
  storedOffsets(partition: number): bigint[] {
    const out: bigint[] = [];
    const checkpointed = this.#checkpointed.get(partition);
    if (checkpointed !== undefined) out.push(checkpointed);
    const inFlight = this.#inFlight.get(partition);
    if (inFlight) out.push(BigInt(inFlight.lastOffset));
    return out;
  }

  /** The partition's first batch here: its progress starts at what Redis covers. */
  resume(partition: number, covered: bigint): void {
    this.#processed.set(partition, covered);
    this.#checkpointed.set(partition, covered);
  }

  /**
   * An agent was loaded with a state that holds its records up to `coveredOffset` (null: a state written before
   * states carried one, exactly at the covered offset): if that is past what the partition has processed, its
   * records up to there are skipped.
   */
  loaded(partition: number, agentId: string, coveredOffset: bigint | null): void {
    const processed = this.#processed.get(partition);
    if (coveredOffset === null || processed === undefined || coveredOffset <= processed) return;
    let ahead = this.#ahead.get(partition);
    if (!ahead) this.#ahead.set(partition, (ahead = new Map()));
    ahead.set(agentId, coveredOffset);
  }

  /** Whether the agent's state already holds its record at `offset` (loaded ahead of the partition: see `loaded`). */
  aheadOf(partition: number, agentId: string, offset: bigint): boolean {
    const holds = this.#ahead.get(partition)?.get(agentId);
    return holds !== undefined && offset <= holds;
  }

  /** A batch's effects are kept: the state covers `coveredAfter`, and these agents changed. */
  advance(topic: string, partition: number, coveredAfter: string, dirty: Iterable<string>): PendingCheckpoint {
    const processed = BigInt(coveredAfter);
    this.#processed.set(partition, processed);
    const ahead = this.#ahead.get(partition);
    if (ahead) {
      for (const [agentId, holds] of ahead) if (holds <= processed) ahead.delete(agentId);
      if (ahead.size === 0) this.#ahead.delete(partition);
    }
    this.#progressAt.set(partition, this.now());
    const pending = this.pendingOf(topic, partition);
    pending.lastOffset = coveredAfter;
    for (const a of dirty) pending.agents.add(a);
    return pending;
  }

  pendingOf(topic: string, partition: number): PendingCheckpoint {
    let p = this.#pending.get(partition);
    if (!p) {
      const now = this.now();
      p = { topic, lastOffset: null, agents: new Set(), checkpointedAt: now, dueAt: now + Math.round(this.intervalMs * (1 + ((partition * SPREAD) % 1))) };
      this.#pending.set(partition, p);
    }
    return p;
  }

  /** A checkpoint is due: progress is pending, its time has come, and none is in flight. */
  isDue(partition: number, now = this.now()): boolean {
    const p = this.#pending.get(partition);
    return p !== undefined && p.lastOffset !== null && p.dueAt <= now && !this.#inFlight.has(partition);
  }

  /**
   * Starts a checkpoint of what is pending (null when nothing is, or one is in flight): the pending agents and
   * offset move into the capture, and later batches gather into a fresh pending record. Call it where no batch of
   * the partition is half-processed; `encode` must run there too (between the partition's batches), tagging each
   * state with the partition's processed offset at that moment.
   */
  begin(partition: number, encode: (agentId: string) => StoredState | undefined): CheckpointCapture | null {
    const p = this.#pending.get(partition);
    if (!p || p.lastOffset === null || this.#inFlight.has(partition)) return null;
    const source: CaptureSource = { topic: p.topic, lastOffset: p.lastOffset, agents: p.agents, since: p.checkpointedAt };
    const capture = new CheckpointCapture(source, encode);
    this.#inFlight.set(partition, capture);
    const now = this.now();
    this.#pending.set(partition, { topic: p.topic, lastOffset: null, agents: new Set(), checkpointedAt: now, dueAt: now + this.intervalMs });
    return capture;
  }

  inFlight(partition: number): CheckpointCapture | undefined {
    return this.#inFlight.get(partition);
  }

  /** The capture did not reach Redis: its agents and offset go back into pending, due again at once. */
  abort(partition: number, capture: CheckpointCapture): void {
    if (this.#inFlight.get(partition) !== capture) return;
    this.#inFlight.delete(partition);
    const p = this.pendingOf(capture.topic, partition);
    for (const a of capture.agents) p.agents.add(a);
    p.lastOffset ??= capture.lastOffset; // a later batch's offset covers the capture's too
    p.checkpointedAt = Math.min(p.checkpointedAt, capture.since);
    p.dueAt = this.now();
  }

  /** Whether the agent's latest state may be missing from Redis (pending or in flight): it must not be evicted. */
  unsaved(agentId: string, partition: number): boolean {
    return this.#pending.get(partition)?.agents.has(agentId) === true || this.#inFlight.get(partition)?.agents.has(agentId) === true;
  }

  pending(partition: number): PendingCheckpoint | undefined {
    return this.#pending.get(partition);
  }

  /** The capture is in Redis: the partition is checkpointed up to its offset (later progress stays pending). */
  checkpointed(partition: number, capture: CheckpointCapture): void {
    if (this.#inFlight.get(partition) !== capture) return;
    this.#inFlight.delete(partition);
    this.#checkpointed.set(partition, BigInt(capture.lastOffset));
  }

  /** Partitions whose checkpoint is due at `now` (Infinity: every one with progress pending and none in flight). */
  due(now: number): number[] {
    return [...this.#pending.keys()].filter((partition) => this.isDue(partition, now));
  }

  /** When its oldest uncheckpointed progress began (in flight or pending); null when nothing is unsaved. */
  pendingSince(partition: number): number | null {
    const inFlight = this.#inFlight.get(partition);
    if (inFlight) return inFlight.since;
    const p = this.#pending.get(partition);
    return p && p.lastOffset !== null ? p.checkpointedAt : null;
  }

  progressAt(partition: number): number {
    return this.#progressAt.get(partition) ?? this.now();
  }

  /** Every partition with progress of some kind here. */
  known(): number[] {
    return [...new Set([...this.#processed.keys(), ...this.#pending.keys(), ...this.#inFlight.keys()])];
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
    this.#inFlight.delete(partition);
    this.#ahead.delete(partition);
    return processed !== undefined && checkpointed !== undefined && processed > checkpointed ? Number(processed - checkpointed) : 0;
  }
}
