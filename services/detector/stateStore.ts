/**
 * Per-agent detection state in Redis, cached in process. A batch's state and
 * the last offset it covers are written in one MULTI, so after a crash the
 * detector knows exactly which records its state already includes: those are
 * skipped (their alerts were produced before the write), the rest replayed.
 * That makes a SIGKILL at any point give the same alerts as no crash.
 */
import type { Redis } from '../../shared/redis/index.js';

export class StateStore {
  constructor(
    private readonly redis: Redis,
    private readonly groupId: string,
  ) {}

  #agentKey(agentId: string): string {
    return `detector:agent:${agentId}`;
  }

  #offsetKey(topic: string, partition: number): string {
    return `detector:offset:${this.groupId}:${topic}:${partition}`;
  }

  #sharedKey(): string {
    return `detector:shared:${this.groupId}`;
  }

  /** States of the given agents (null when Redis has none), in one round trip. */
  async loadAgents(agentIds: string[]): Promise<Map<string, unknown | null>> {
    const out = new Map<string, unknown | null>();
    if (agentIds.length === 0) return out;
    const values = await this.redis.mget(...agentIds.map((a) => this.#agentKey(a)));
    agentIds.forEach((a, i) => out.set(a, values[i] ? JSON.parse(values[i]!) : null));
    return out;
  }

  async loadShared(): Promise<unknown | null> {
    const v = await this.redis.get(this.#sharedKey());
    return v ? JSON.parse(v) : null;
  }

  /** The last offset of this partition whose effects are in the stored state (-1 when none). */
  async processedOffset(topic: string, partition: number): Promise<bigint> {
    const v = await this.redis.get(this.#offsetKey(topic, partition));
    return v === null ? -1n : BigInt(v);
  }

  /**
   * Writes the changed agents, the shared (peer-group) state and the covered offset atomically.
   * States arrive serialised (JSON text), so the caller can spread that CPU work over several ticks.
   */
  async commit(topic: string, partition: number, lastOffset: string, agents: Map<string, string>, shared: string | undefined, ttlSeconds: number): Promise<void> {
    const tx = this.redis.multi();
    for (const [agentId, json] of agents) tx.set(this.#agentKey(agentId), json, 'EX', ttlSeconds);
    if (shared !== undefined) tx.set(this.#sharedKey(), shared);
    tx.set(this.#offsetKey(topic, partition), lastOffset);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new Error(`state write failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  }
}
