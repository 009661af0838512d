/**
 * Which agents' state the engine holds in process, with the partition each
 * came from (where its state is stored and checkpointed), in LRU order. The
 * engine keeps the state; this keeps the bookkeeping, so a moved or failed
 * partition forgets exactly its own agents and an eviction never drops an
 * agent whose state is not in Redis yet.
 */
export class AgentCache {
  readonly #owner = new Map<string, number>(); // insertion order = LRU order

  constructor(private readonly evict: (agentId: string) => void) {}

  get size(): number {
    return this.#owner.size;
  }

  has(agentId: string): boolean {
    return this.#owner.has(agentId);
  }

  ownerOf(agentId: string): number | undefined {
    return this.#owner.get(agentId);
  }

  /** Partitions some cached agent came from. */
  partitions(): Set<number> {
    return new Set(this.#owner.values());
  }

  /** Marks the agents used by a batch of `partition` (most recent last); an agent keeps the partition it came from. */
  touch(partition: number, agentIds: Iterable<string>): void {
    for (const a of agentIds) {
      const owner = this.#owner.get(a) ?? partition;
      this.#owner.delete(a);
      this.#owner.set(a, owner);
    }
  }

  /** Evicts the least recently used agents beyond `max`, skipping those `keep` says are not in Redis yet. */
  trim(max: number, keep: (agentId: string, partition: number) => boolean): void {
    for (const [agentId, partition] of this.#owner) {
      if (this.#owner.size <= max) break;
      if (keep(agentId, partition)) continue;
      this.#owner.delete(agentId);
      this.evict(agentId);
    }
  }

  /** Evicts every agent of these partitions. */
  dropPartitions(partitions: Set<number>): void {
    for (const [agentId, p] of this.#owner) {
      if (!partitions.has(p)) continue;
      this.#owner.delete(agentId);
      this.evict(agentId);
    }
  }
}
