/**
 * Per-agent detection state in Redis, cached in process. A checkpoint writes a
 * partition's changed agents and the last offset it covers in one MULTI, so
 * after a crash the detector knows exactly which records its state already
 * includes: those are skipped (their alerts were produced before the write),
 * the rest replayed. That makes a SIGKILL at any point give the same alerts as
 * no crash.
 *
 * Keys are hash-tagged by partition (`detector:{agent.events:7}:agent:a-1`,
 * `detector:{agent.events:7}:offset:<group>`): on a Redis Cluster one
 * partition's agents and covered offset share one slot, so its checkpoint is
 * one transaction and its restore one MGET, and a partition's state moves
 * with the partition to whichever instance owns it. An agent's events all go
 * to one partition (key = agentId), so its state is under that partition's
 * tag. Adding partitions to the topic moves agents to other partitions: their
 * baselines then start afresh (as they would on any key re-hash).
 *
 * The peer-group (shared) state is one document for every partition, so it
 * cannot share a slot with all of them: it is written on its own, after a
 * checkpoint. It is approximate by nature (it mixes partitions' progress) and
 * only shapes the baseline of agents with little history of their own.
 */
import type { Redis } from '../../shared/redis/index.js';

/** The hash tag of one partition's keys. Topic names are [a-zA-Z0-9._-], so they never hold a brace. */
export function partitionTag(topic: string, partition: number): string {
  return `{${topic}:${partition}}`;
}

/** Key of one agent's state (under the configured redis.keyPrefix). */
export function agentStateKey(topic: string, partition: number, agentId: string): string {
  return `detector:${partitionTag(topic, partition)}:agent:${agentId}`;
}

/** Key of the last offset of a partition whose effects are in the stored state, per consumer group. */
export function coveredOffsetKey(groupId: string, topic: string, partition: number): string {
  return `detector:${partitionTag(topic, partition)}:offset:${groupId}`;
}

export function sharedStateKey(groupId: string): string {
  return `detector:shared:${groupId}`;
}

export class StateStore {
  constructor(
    private readonly redis: Redis,
    private readonly groupId: string,
  ) {}

  /** States of the given agents of one partition (null when Redis has none), in one round trip (one slot). */
  async loadAgents(topic: string, partition: number, agentIds: string[]): Promise<Map<string, unknown | null>> {
    const out = new Map<string, unknown | null>();
    if (agentIds.length === 0) return out;
    const values = await this.redis.mget(...agentIds.map((a) => agentStateKey(topic, partition, a)));
    agentIds.forEach((a, i) => out.set(a, values[i] ? JSON.parse(values[i]!) : null));
    return out;
  }

  async loadShared(): Promise<unknown | null> {
    const v = await this.redis.get(sharedStateKey(this.groupId));
    return v ? JSON.parse(v) : null;
  }

  /** The last offset of this partition whose effects are in the stored state (-1 when none). */
  async processedOffset(topic: string, partition: number): Promise<bigint> {
    const v = await this.redis.get(coveredOffsetKey(this.groupId, topic, partition));
    return v === null ? -1n : BigInt(v);
  }

  /**
   * Writes the partition's changed agents and its covered offset atomically (one slot, one MULTI).
   * States arrive serialised (JSON text), so the caller can spread that CPU work over several ticks.
   */
  async commit(topic: string, partition: number, lastOffset: string, agents: Map<string, string>, ttlSeconds: number): Promise<void> {
    const tx = this.redis.multi();
    for (const [agentId, json] of agents) tx.set(agentStateKey(topic, partition, agentId), json, 'EX', ttlSeconds);
    tx.set(coveredOffsetKey(this.groupId, topic, partition), lastOffset);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new Error(`state write failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  }

  /** The peer-group state (JSON text), on its own key. */
  async writeShared(json: string): Promise<void> {
    await this.redis.set(sharedStateKey(this.groupId), json);
  }
}
