/**
 * One partition's checkpoint while it is being encoded: the agents it holds
 * and the partition's covered offset it will write. The partition keeps
 * processing meanwhile, and the agents are encoded in slices between its
 * batches (never inside one), each as it stands then: an agent that a later
 * batch changed is written with that batch's effects, and with its own
 * covered offset to say so (stateStore.ts, `tagState`; the encoder given
 * here tags it). Nothing is copied before a batch changes an agent.
 *
 * Why not one cut of every agent at the covered offset: that needed a copy of
 * each agent a batch was about to change while its checkpoint was still
 * encoding, and a partition's first batches after a checkpoint began touch
 * most of its agents, so they paid for most of the encoding (~0.34 ms per
 * warm agent) inside the batch: in a profile at 20,000 events/s
 * (bench/latency.ts, 2026-12-08), stretches of 350-430 ms with no idle
 * moment, 40% of them in that copy. Pure: the encoder is given, no I/O, no
 * clock but the slice budget.
 */
import type { StoredState } from './stateStore.js';

export interface CaptureSource {
  topic: string;
  /** The partition's covered offset this checkpoint writes: every agent's state holds at least its records up to it. */
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

  constructor(
    source: CaptureSource,
    /** The agent's state as it stands, tagged with the offset it is at; undefined when the engine holds none. */
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

  /** Encodes agents until `budgetMs` of this call has passed; true when every agent is encoded. */
  encodeFor(budgetMs: number): boolean {
    const started = performance.now();
    for (const a of this.#unencoded) {
      this.#unencoded.delete(a);
      const state = this.encode(a);
      if (state !== undefined) this.states.set(a, state);
      if (performance.now() - started >= budgetMs) break;
    }
    return this.#unencoded.size === 0;
  }
}
