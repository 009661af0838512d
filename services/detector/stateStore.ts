/**
 * Per-agent detection state in Redis, cached in process. A checkpoint writes a
 * partition's changed agents and the last offset it covers in one atomic
 * write, so after a crash the detector knows exactly which records its state
 * already includes: those are skipped (their alerts were produced before the
 * write), the rest replayed. That makes a SIGKILL at any point give the same
 * alerts as no crash.
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
 * An agent's state is stored as it comes: bytes (the engine's binary snapshot) as they are, anything
 * else as JSON text. Bytes used to go as base64 inside a JSON string, a third more Redis per agent
 * plus the quotes (bench/memory.ts). Reading tells the two apart by the first byte: a JSON text
 * starts with one of `{ [ " - 0-9 t f n` or whitespace, the engine's snapshot bytes with the magic
 * "AW" (engine/snapshotBytes.ts); so states written before still load.
 *
 * A checkpoint is not one cut of every agent at one offset: each agent's state
 * is written with its own covered offset (`tagState`), the partition's offset
 * when that agent was encoded, which is at or after the partition's covered
 * offset written with it. So the encoding can run in the background while the
 * partition goes on processing, with no copy taken before a batch changes an
 * agent (services/detector/checkpointCapture.ts). A restart reads from just
 * after the partition's covered offset and skips an agent's records at or
 * below the agent's own (PartitionLedger.aheadOf). States written before
 * agents carried an offset load with none: they are exactly at the covered
 * offset their checkpoint wrote.
 *
 * Agents are loaded with the partition's covered offset in the same MGET (one
 * slot, one instant): if it is not the offset this instance resumed from or
 * wrote, another writer checkpointed the partition meanwhile (its next owner,
 * or a former owner's write that landed after a rebalance), and states read
 * now would not match the offset the batches count from. The load fails
 * (StateMovedError, retriable): the partition is dropped and read again.
 *
 * Writes are fenced the same way. A checkpoint is a Lua script on the
 * partition's slot (a few in one MULTI for a very large checkpoint): it
 * writes the agents and the new covered offset only if the covered offset
 * stored is one this writer expects, and otherwise writes nothing and fails
 * with StateMovedError. So a former owner's checkpoint that
 * lands after the next owner's (in flight across the rebalance, or retried)
 * can neither overwrite newer agents nor move the covered offset back; the
 * covered offset only moves forward.
 *
 * The peer-group (shared) state is one document for every partition, so it
 * cannot share a slot with all of them: it is written on its own, after a
 * checkpoint. It is approximate by nature (it mixes partitions' progress) and
 * only shapes the baseline of agents with little history of their own.
 */
import { WardenError } from '../../shared/errors/index.js';
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

/** The partition's stored covered offset is none this instance expects: its state was written by someone else meanwhile. */
export class StateMovedError extends WardenError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly expected: readonly bigint[],
    /** The covered offset Redis holds (-1: none). */
    readonly found: bigint,
  ) {
    super('state.moved', `the stored state of ${topic}[${partition}] moved: covered offset ${found}, expected ${expected.join(' or ')}; the partition is read again`, { retriable: true });
  }
}

/** What an agent's state is in Redis: the engine's bytes, or a JSON-safe value (older states, other engines). */
export type StoredState = Uint8Array | string;

/** First bytes a JSON text can start with (RFC 8259: a value after optional whitespace). */
const JSON_FIRST_BYTES = new Set([...'{["-0123456789tfn \t\r\n'].map((c) => c.charCodeAt(0)));

/** A stored value back: bytes as they are, JSON text parsed. */
export function decodeStoredState(value: Buffer): unknown {
  if (value.length > 0 && JSON_FIRST_BYTES.has(value[0]!)) return JSON.parse(value.toString('utf8'));
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * An agent's state as a checkpoint writes it: TAG_MAGIC, then the last offset of its partition whose effects it
 * holds (8 bytes, big-endian), then the state (bytes as they are, JSON as its UTF-8 text). The magic is neither a
 * JSON first byte nor the engine's "AW", so a value reads unambiguously as tagged, bytes or JSON.
 */
export function tagState(coveredOffset: bigint, state: StoredState): Uint8Array {
  const body = typeof state === 'string' ? Buffer.from(state, 'utf8') : state;
  const out = new Uint8Array(TAG_HEADER_BYTES + body.length);
  out.set(TAG_MAGIC, 0);
  new DataView(out.buffer).setBigInt64(TAG_MAGIC.length, coveredOffset);
  out.set(body, TAG_HEADER_BYTES);
  return out;
}

/** An agent's stored state back, with its own covered offset (null: written before states carried one). */
export interface LoadedState {
  state: unknown;
  coveredOffset: bigint | null;
}

/** A stored value back: a tagged state (`tagState`), or one written before, bytes or JSON text. */
export function readStoredValue(value: Buffer): LoadedState {
  if (value.length >= TAG_HEADER_BYTES && value[0] === TAG_MAGIC[0] && value[1] === TAG_MAGIC[1]) {
    const coveredOffset = new DataView(value.buffer, value.byteOffset, value.byteLength).getBigInt64(TAG_MAGIC.length);
    return { state: decodeStoredState(value.subarray(TAG_HEADER_BYTES)), coveredOffset };
  }
  return { state: decodeStoredState(value), coveredOffset: null };
}

/** "AO" (agent, offset). */
const TAG_MAGIC = new Uint8Array([0x41, 0x4f]);
const TAG_HEADER_BYTES = TAG_MAGIC.length + 8;

/** A state to store: bytes as they are (never JSON: see the header), any other value as JSON text. */
export function encodeStoredState(state: unknown): StoredState {
  if (state instanceof Uint8Array) {
    if (state.length > 0 && JSON_FIRST_BYTES.has(state[0]!)) throw new TypeError('state bytes must not start like a JSON text');
    return state;
  }
  return JSON.stringify(state);
}

const asRedisValue = (v: StoredState): Buffer | string => (typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

/**
 * One part of a fenced checkpoint. KEYS: the covered offset, then one per agent. ARGV: the new covered offset
 * ('' in every part but the last: the offset is written once, with the last agents), the TTL, how many expected
 * offsets follow, those, then one state per agent key. Offsets are compared as the decimal text they are stored
 * as (a Lua number would round offsets past 2^53). Returns {1} when written, {0, stored} when nothing was.
 */
const FENCED_COMMIT_LUA = `
local stored = redis.call('GET', KEYS[1]) or '-1'
local expected = tonumber(ARGV[3])
local ok = false
for i = 1, expected do
  if ARGV[3 + i] == stored then ok = true break end
end
if not ok then return {0, stored} end
local first = 3 + expected
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[first + i - 1], 'EX', ARGV[2])
end
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1]) end
return {1}
`;

/**
 * Agents per script of one checkpoint. ioredis spreads a command's keys into a call, which overflows the stack
 * past ~120,000 of them; a checkpoint of more is several scripts in one MULTI (still one atomic write).
 */
const AGENTS_PER_SCRIPT = 10_000;

export class StateStore {
  constructor(
    private readonly redis: Redis,
    private readonly groupId: string,
  ) {}

  /**
   * States of the given agents of one partition (null when Redis has none), in one round trip (one slot): bytes, or
   * parsed JSON, each with its own covered offset. With `coveredAnyOf`, the partition's covered offset is read in
   * the same MGET and must be one of those (StateMovedError otherwise: see the header).
   */
  async loadAgents(topic: string, partition: number, agentIds: string[], coveredAnyOf?: readonly bigint[]): Promise<Map<string, LoadedState | null>> {
    const out = new Map<string, LoadedState | null>();
    if (agentIds.length === 0) return out;
    const keys = agentIds.map((a) => agentStateKey(topic, partition, a));
    const values = await this.redis.mgetBuffer(...(coveredAnyOf ? [coveredOffsetKey(this.groupId, topic, partition), ...keys] : keys));
    if (coveredAnyOf) {
      const stored = values.shift();
      const covered = stored ? BigInt(stored.toString()) : -1n;
      if (!coveredAnyOf.includes(covered)) throw new StateMovedError(topic, partition, coveredAnyOf, covered);
    }
    agentIds.forEach((a, i) => out.set(a, values[i] ? readStoredValue(values[i]!) : null));
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
   * Writes the partition's changed agents and its covered offset atomically (one slot, one MULTI of fenced scripts),
   * only if the covered offset stored is one of `coveredAnyOf` (StateMovedError otherwise, and nothing is written:
   * see the header). States arrive serialised (`encodeStoredState`, then `tagState` with each agent's own covered
   * offset), so the caller can spread that CPU work over several ticks.
   */
  async commit(topic: string, partition: number, lastOffset: string, agents: Map<string, StoredState>, ttlSeconds: number, coveredAnyOf: readonly bigint[]): Promise<void> {
    const offsetKey = coveredOffsetKey(this.groupId, topic, partition);
    const expected = [String(coveredAnyOf.length), ...coveredAnyOf.map(String)];
    const entries = [...agents];
    const tx = this.redis.multi();
    // Every part checks the same stored offset, which only the last part moves: all parts write, or none does.
    // EVAL rather than EVALSHA: Redis caches the compiled script by its hash; the text is ~0.5 KB a part.
    // At least one part, even with no agents: it writes the offset.
    for (let i = 0; i === 0 || i < entries.length; i += AGENTS_PER_SCRIPT) {
      const part = entries.slice(i, i + AGENTS_PER_SCRIPT);
      const last = i + AGENTS_PER_SCRIPT >= entries.length;
      const keys = [offsetKey, ...part.map(([agentId]) => agentStateKey(topic, partition, agentId))];
      tx.eval(FENCED_COMMIT_LUA, keys.length, [...keys, last ? lastOffset : '', String(ttlSeconds), ...expected, ...part.map(([, state]) => asRedisValue(state))]);
    }
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new Error(`state write failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
    const refused = results.map(([, reply]) => reply as [number, string?]).find(([written]) => written !== 1);
    if (refused) throw new StateMovedError(topic, partition, coveredAnyOf, BigInt(refused[1]!));
  }


  /** The peer-group state (JSON text), on its own key. */
  async writeShared(json: string): Promise<void> {
    await this.redis.set(sharedStateKey(this.groupId), json);
  }
}
