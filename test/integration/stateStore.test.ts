/**
 * The state store against the real Redis: the engine's snapshot is stored as raw bytes (not base64 in JSON),
 * other states as JSON text, and a state written the old way (base64 inside a JSON string) still restores.
 * Loads and writes are fenced by the covered offset.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { agentStateKey, coveredOffsetKey, decodeStoredState, encodeStoredState, readStoredValue, StateMovedError, StateStore, tagState } from '../../services/detector/stateStore.js';
import { isRetriable } from '../../shared/errors/index.js';
import { createDetectionEngine } from '../../services/detector/engine.js';
import { createRedis, type Redis } from '../../shared/redis/index.js';
import { bucketedFleet } from '../../bench/lib/fleet.js';
import { isolatedConfig } from '../support/stack.js';

// Keys under this test's own prefix (the global setup deletes the run's prefix at the end).
const config = isolatedConfig('state-store');
const redis = createRedis(config);
afterAll(async () => {
  await redis.quit();
});

function warmAdapter(agentId: string) {
  const port = createDetectionEngine();
  for (const e of bucketedFleet([agentId], () => 'support', 30, 3, Date.UTC(2026, 10, 18, 12))) port.process(e, 'valid');
  return port;
}

describe('StateStore', () => {
  it('stores the engine snapshot as raw bytes and restores it to the same state', async () => {
    const port = warmAdapter('store-a');
    const exported = port.exportAgent('store-a') as Uint8Array;
    expect(exported).toBeInstanceOf(Uint8Array);
    const store = new StateStore(redis, 'g-state-store');
    await store.commit('agent.events', 3, '41', new Map([['store-a', encodeStoredState(exported)]]), 60, [-1n]);
    // The value in Redis is the snapshot's bytes exactly: no base64, no JSON quotes.
    const stored = await redis.getBuffer(agentStateKey('agent.events', 3, 'store-a'));
    expect(Buffer.compare(stored!, Buffer.from(exported))).toBe(0);
    const loaded = (await store.loadAgents('agent.events', 3, ['store-a', 'store-missing'])).get('store-a');
    expect(loaded?.state).toBeInstanceOf(Uint8Array);
    expect(loaded?.coveredOffset).toBeNull(); // untagged: at the partition's covered offset
    const fresh = createDetectionEngine();
    fresh.importAgent('store-a', loaded?.state);
    expect(fresh.engine.snapshotAgent('store-a')).toEqual(port.engine.snapshotAgent('store-a'));
    expect((await store.loadAgents('agent.events', 3, ['store-missing'])).get('store-missing')).toBeNull();
    expect(await store.processedOffset('agent.events', 3)).toBe(41n);
  });

  it('still restores a state written as base64 inside a JSON string, and keeps JSON states as JSON', async () => {
    const port = warmAdapter('store-b');
    const bytes = port.exportAgent('store-b') as Uint8Array;
    const store = new StateStore(redis, 'g-state-store');
    const legacy = JSON.stringify(Buffer.from(bytes).toString('base64'));
    const plain = { any: ['json', 1] };
    await store.commit('agent.events', 4, '7', new Map<string, string>([['store-b', legacy], ['store-c', encodeStoredState(plain) as string]]), 60, [-1n]);
    const loaded = await store.loadAgents('agent.events', 4, ['store-b', 'store-c']);
    expect(typeof loaded.get('store-b')?.state).toBe('string');
    expect(loaded.get('store-c')?.state).toEqual(plain);
    const fresh = createDetectionEngine();
    fresh.importAgent('store-b', loaded.get('store-b')?.state);
    expect(fresh.engine.snapshotAgent('store-b')).toEqual(port.engine.snapshotAgent('store-b'));
  });

  it('loads agents only while the covered offset is one the caller expects (a retriable StateMovedError otherwise)', async () => {
    const store = new StateStore(redis, 'g-state-moved');
    await store.commit('agent.events', 5, '9', new Map([['store-d', '{"n":1}']]), 60, [-1n]);
    expect((await store.loadAgents('agent.events', 5, ['store-d'], [9n])).get('store-d')?.state).toEqual({ n: 1 });
    expect((await store.loadAgents('agent.events', 6, ['store-e'], [-1n])).get('store-e')).toBeNull(); // nothing stored: -1
    // Another writer checkpoints the partition (its next owner, or a late write of a former one).
    await store.commit('agent.events', 5, '12', new Map([['store-d', '{"n":4}']]), 60, [9n]);
    const moved = await store.loadAgents('agent.events', 5, ['store-d'], [9n]).catch((err: unknown) => err);
    expect(moved).toBeInstanceOf(StateMovedError);
    expect(isRetriable(moved)).toBe(true);
    expect((await store.loadAgents('agent.events', 5, ['store-d'], [9n, 12n])).get('store-d')?.state).toEqual({ n: 4 });
  });

  it('writes only while the covered offset is one the writer expects: a former owner\'s late checkpoint is refused and writes nothing', async () => {
    // A client of its own, under a prefix of its own, so the keys it leaves are exactly the ones it deletes.
    const own: Redis = createRedis({ ...config, redis: { ...config.redis, keyPrefix: `${config.redis.keyPrefix}fence:` } });
    const topic = 'agent.events';
    const keys = [coveredOffsetKey('g-fence', topic, 7), agentStateKey(topic, 7, 'fence-a'), agentStateKey(topic, 7, 'fence-b')];
    try {
      const writerA = new StateStore(own, 'g-fence');
      const writerB = new StateStore(own, 'g-fence');
      // A checkpointed offset 100 and owned the partition; B took it over from there and checkpointed 200.
      await writerA.commit(topic, 7, '100', new Map([['fence-a', '{"by":"A","at":100}']]), 60, [-1n]);
      await writerB.commit(topic, 7, '200', new Map([['fence-a', '{"by":"B","at":200}'], ['fence-b', '{"by":"B","at":200}']]), 60, [100n]);
      // A's next checkpoint (in flight across the rebalance, or retried) still expects 100: refused, retriable.
      const late = await writerA.commit(topic, 7, '150', new Map([['fence-a', '{"by":"A","at":150}'], ['fence-b', '{"by":"A","at":150}']]), 60, [100n]).catch((err: unknown) => err);
      expect(late).toBeInstanceOf(StateMovedError);
      expect(isRetriable(late)).toBe(true);
      expect((late as StateMovedError).found).toBe(200n);
      // Nothing of A's write landed: B's states and offset 200 are what Redis holds.
      expect(await writerB.processedOffset(topic, 7)).toBe(200n);
      const held = await writerB.loadAgents(topic, 7, ['fence-a', 'fence-b'], [200n]);
      expect(held.get('fence-a')?.state).toEqual({ by: 'B', at: 200 });
      expect(held.get('fence-b')?.state).toEqual({ by: 'B', at: 200 });
      // A commit whose expectation matches goes through (any of the offsets given).
      await writerB.commit(topic, 7, '250', new Map([['fence-b', '{"by":"B","at":250}']]), 60, [175n, 200n]);
      expect(await writerB.processedOffset(topic, 7)).toBe(250n);
      expect((await writerB.loadAgents(topic, 7, ['fence-b'], [250n])).get('fence-b')?.state).toEqual({ by: 'B', at: 250 });
      expect(await own.ttl(agentStateKey(topic, 7, 'fence-b'))).toBeGreaterThan(0);
      // A partition nothing was stored for counts as covered up to -1, as for loads.
      await expect(writerA.commit(topic, 8, '5', new Map(), 60, [3n])).rejects.toBeInstanceOf(StateMovedError);
      expect(await own.exists(coveredOffsetKey('g-fence', topic, 8))).toBe(0);
    } finally {
      await own.del(...keys);
      await own.quit();
    }
  });

  it('a checkpoint of more agents than one script takes is still all or nothing', async () => {
    const own: Redis = createRedis({ ...config, redis: { ...config.redis, keyPrefix: `${config.redis.keyPrefix}fence-many:` } });
    const topic = 'agent.events';
    const agents = Array.from({ length: 25_000 }, (_, i) => `many-${i}`);
    const keys = [coveredOffsetKey('g-many', topic, 2), ...agents.map((a) => agentStateKey(topic, 2, a))];
    try {
      const store = new StateStore(own, 'g-many');
      await store.commit(topic, 2, '50', new Map([['many-0', '{"at":50}']]), 60, [-1n]);
      const states = (at: number) => new Map(agents.map((a) => [a, `{"at":${at}}`]));
      // Refused (Redis holds 50): none of the parts wrote, though each part checks on its own.
      await expect(store.commit(topic, 2, '90', states(90), 60, [40n])).rejects.toBeInstanceOf(StateMovedError);
      expect(await own.exists(agentStateKey(topic, 2, 'many-24999'))).toBe(0);
      expect((await store.loadAgents(topic, 2, ['many-0'], [50n])).get('many-0')?.state).toEqual({ at: 50 });
      // Accepted: every part wrote, and the offset moved once.
      await store.commit(topic, 2, '90', states(90), 60, [50n]);
      const loaded = await store.loadAgents(topic, 2, agents, [90n]);
      expect([...loaded.values()].every((v) => (v?.state as { at: number }).at === 90)).toBe(true);
    } finally {
      for (let i = 0; i < keys.length; i += 5_000) await own.del(...keys.slice(i, i + 5_000));
      await own.quit();
    }
  });

  it('reads an agent\'s own covered offset in front of its state (bytes or JSON), and states written before without one', async () => {
    const store = new StateStore(redis, 'g-tagged');
    const bytes = new Uint8Array([0x41, 0x57, 5, 1, 2, 3]);
    const big = 2n ** 62n + 7n; // offsets are int64: no rounding through a double
    await store.commit('agent.events', 9, '20', new Map([['tag-a', tagState(25n, bytes)], ['tag-b', tagState(big, encodeStoredState({ n: 2 }))], ['tag-c', encodeStoredState({ n: 3 })]]), 60, [-1n]);
    const loaded = await store.loadAgents('agent.events', 9, ['tag-a', 'tag-b', 'tag-c'], [20n]);
    expect(loaded.get('tag-a')).toEqual({ state: bytes, coveredOffset: 25n });
    expect(loaded.get('tag-b')).toEqual({ state: { n: 2 }, coveredOffset: big });
    expect(loaded.get('tag-c')).toEqual({ state: { n: 3 }, coveredOffset: null });
    // The tag is neither a JSON first byte nor the engine's magic: each value reads one way only.
    expect(readStoredValue(Buffer.from(tagState(-1n, '{"x":1}')))).toEqual({ state: { x: 1 }, coveredOffset: -1n });
    expect(readStoredValue(Buffer.from(bytes))).toEqual({ state: bytes, coveredOffset: null });
  });

  it('tells bytes from JSON by the first byte, and refuses bytes that would read back as JSON', () => {
    expect(decodeStoredState(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(decodeStoredState(Buffer.from(' "x"'))).toBe('x');
    expect(decodeStoredState(Buffer.from([0x41, 0x57, 2, 0]))).toEqual(new Uint8Array([0x41, 0x57, 2, 0]));
    expect(() => encodeStoredState(new Uint8Array([0x7b, 0]))).toThrow(TypeError);
  });
});
