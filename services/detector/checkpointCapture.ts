/**
 * One partition's checkpoint while it is being encoded: the agents it holds
 * and the offset their state must be exactly at. The partition keeps
 * processing meanwhile (a checkpoint of ~700 warm agents is ~0.4 s of CPU, and
 * a partition that waited for it held its alerts that long: bench/latency.ts).
 * Consistency is copy on write: a batch that is about to change an agent the
 * capture has not encoded yet encodes it first (`takeBefore`), so every state
 * written is the agent's state as of `lastOffset`, whether the background
 * slices or a batch encoded it. Pure: the encoder is given, no I/O, no clock
 * but the slice budget.
 */
import type { StoredState } from './stateStore.js';

export interface CaptureSource {
  topic: string;
  /** Last offset whose effects the captured states hold. */
  lastOffset: string;
  agents: ReadonlySet<string>;
  /** When the oldest progress in it began (the checkpoint age while it is in flight). */
  since: number;
}

export class CheckpointCapture implements CaptureSource {
  readonly topic: string;
  readonly lastOffset: string;
  readonly agents: ReadonlySet<string>;
  readonly since: number;
  /** Encoded states, by agent (an agent the engine no longer holds has none: nothing is written for it). */
  readonly states = new Map<string, StoredState>();
  /** Agents of the capture not encoded yet; insertion order is the encoding order. */
  readonly #unencoded: Set<string>;
  /** Agents a batch encoded before changing them (counted for the metrics). */
  takenEarly = 0;

  constructor(
    source: CaptureSource,
    private readonly encode: (agentId: string) => StoredState | undefined,
  ) {
    this.topic = source.topic;
    this.lastOffset = source.lastOffset;
    this.agents = source.agents;
    this.since = source.since;
    this.#unencoded = new Set(source.agents);
  }

  get done(): boolean {
    return this.#unencoded.size === 0;
  }

  /** Called before a batch changes these agents: those still unencoded are encoded now, at the capture's offset. */
  takeBefore(agentIds: Iterable<string>): void {
    if (this.#unencoded.size === 0) return;
    for (const a of agentIds) {
      if (!this.#unencoded.delete(a)) continue;
      this.#take(a);
      this.takenEarly += 1;
    }
  }

  /** Encodes agents until `budgetMs` of this call has passed; true when every agent is encoded. */
  encodeFor(budgetMs: number): boolean {
    const started = performance.now();
    for (const a of this.#unencoded) {
      this.#unencoded.delete(a);
      this.#take(a);
      if (performance.now() - started >= budgetMs) break;
    }
    return this.#unencoded.size === 0;
  }

  #take(agentId: string): void {
    const state = this.encode(agentId);
    if (state !== undefined) this.states.set(agentId, state);
  }
}
