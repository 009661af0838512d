/**
 * The detector on a real Redis Cluster (three masters, started and stopped by
 * this file): a partition's checkpoint is one slot and one fenced transaction, the state of
 * a partition that moves to another instance is restored from the cluster, and
 * a SIGKILLed detector restarted on the cluster gives the alert ids of an
 * uninterrupted run on a single Redis.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentStateKey, coveredOffsetKey, StateMovedError, StateStore } from '../../services/detector/stateStore.js';
import type { DetectorService } from '../../services/detector/service.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import { partitionOf } from '../../shared/kafka/partitions.js';
import { createRedis, isCluster } from '../../shared/redis/index.js';
import type { Alert } from '../../shared/schemas/generated.js';
import { counterValue, keyringFor, startDetector } from '../support/detector.js';
import { alertDiff, allAlerts, coveredRecords, keyringJsonFor, publishEvents, referenceRun, spawnDetector, topicSize } from '../support/detectorRuns.js';
import { startTestRedisCluster, type RedisClusterHandle } from '../support/redisCluster.js';
import { incidentFleet } from '../support/scenario.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

/** true once the group is Stable with `members` members (the rebalance is over). */
async function groupStable(config: WardenConfig, group: string, members: number): Promise<boolean> {
  const admin = createKafka(config, testLogger).admin();
  await admin.connect();
  try {
    const [g] = (await admin.describeGroups([group])).groups;
    return g?.state === 'Stable' && g.members.length === members;
  } finally {
    await admin.disconnect();
  }
}

// Past the one-day learning period, incidents at the end (see test/reliability/crash.test.ts for why).
const { events, agentIds } = incidentFleet(18, 26 * 12, 40);
const keyring = keyringFor(agentIds);
const PARTITIONS = 6;

describe('detector state on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let reference: Alert[];
  const detectors: DetectorService[] = [];
  const children: ChildProcess[] = [];

  /** A config of its own topics and prefix, on the cluster, checkpointing every `checkpointMs`. */
  async function clusterRun(label: string, checkpointMs: number, published = events): Promise<WardenConfig> {
    const base = isolatedConfig(label, { events: PARTITIONS });
    const config = cluster.use({ ...base, detector: { ...base.detector, checkpointIntervalMs: checkpointMs } });
    await provisionTopics(config);
    await publishEvents(config, keyring, published);
    return config;
  }

  beforeAll(async () => {
    cluster = await startTestRedisCluster();
    // Reference: one uninterrupted detector on the single Redis.
    const ref = isolatedConfig('cluster-ref', { events: PARTITIONS });
    await provisionTopics(ref);
    await publishEvents(ref, keyring, events);
    reference = await referenceRun(ref, keyring, events.length);
    expect(new Set(reference.map((a) => a.alertId)).size).toBeGreaterThanOrEqual(10);
  }, 240_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of detectors) await d.stop();
    await cluster?.stop();
  }, 60_000);

  it('checkpoints each partition in one slot: agents and covered offset under one hash tag, spread over the masters; same alerts as on one Redis', async () => {
    const config = await clusterRun('cluster-ckpt', 0);
    const group = 'cluster-ckpt-detector';
    const detector = await startDetector(config, keyring, group);
    detectors.push(detector);
    await eventually(async () => (await coveredRecords(config, group)) >= events.length, 120_000, 'every record checkpointed on the cluster');
    await detector.stop();
    expect(alertDiff(reference, await allAlerts(config))).toEqual({ missing: [], extra: [] });

    const raw = createRedis(config, { keyPrefix: '' });
    try {
      expect(isCluster(raw)).toBe(true);
      const slotOf = async (key: string) => Number(await raw.call('CLUSTER', 'KEYSLOT', `${config.redis.keyPrefix}${key}`));
      const slots = new Set<number>();
      for (let p = 0; p < PARTITIONS; p++) {
        const offsetKey = coveredOffsetKey(group, config.topics.events.name, p);
        expect(await raw.get(`${config.redis.keyPrefix}${offsetKey}`)).not.toBeNull();
        const slot = await slotOf(offsetKey);
        slots.add(slot);
        for (const a of agentIds.filter((id) => partitionOf(id, PARTITIONS) === p)) {
          const key = agentStateKey(config.topics.events.name, p, a);
          expect(await raw.exists(`${config.redis.keyPrefix}${key}`)).toBe(1);
          expect(await slotOf(key)).toBe(slot);
        }
      }
      // The partitions' slots are served by more than one master: state is spread, not on one node.
      const ranges = (await raw.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const owners = new Set([...slots].map((s) => ranges.find(([lo, hi]) => s >= lo && s <= hi)?.[2][1]));
      expect(owners.size).toBeGreaterThan(1);
    } finally {
      await raw.quit();
    }

    // The fenced write runs on the cluster (one slot per partition): a late checkpoint expecting an offset the
    // partition has moved past is refused and changes nothing; one expecting the stored offset goes through.
    const prefixed = createRedis(config);
    try {
      const store = new StateStore(prefixed, group);
      const topic = config.topics.events.name;
      const stored = await store.processedOffset(topic, 0);
      const agent = agentIds.find((id) => partitionOf(id, PARTITIONS) === 0)!;
      const before = await prefixed.getBuffer(agentStateKey(topic, 0, agent));
      const late = await store.commit(topic, 0, String(stored + 5n), new Map([[agent, '{"late":true}']]), 60, [stored - 1n]).catch((err: unknown) => err);
      expect(late).toBeInstanceOf(StateMovedError);
      expect(await store.processedOffset(topic, 0)).toBe(stored);
      expect(Buffer.compare((await prefixed.getBuffer(agentStateKey(topic, 0, agent)))!, before!)).toBe(0);
      // Two keys of one slot in one script: the agent's own state back, the covered offset where it was.
      await store.commit(topic, 0, String(stored), new Map([[agent, before!]]), 60, [stored]);
      expect(await prefixed.ttl(agentStateKey(topic, 0, agent))).toBeGreaterThan(0);
    } finally {
      await prefixed.quit();
    }
  }, 180_000);

  it('a partition that moves to a second instance is restored from the cluster: the pair gives the same alert ids', async () => {
    // The first half is processed and checkpointed by one instance owning every partition; a second joins, takes
    // some partitions over, and processes the second half of those onto the state restored from the cluster.
    const half = Math.floor(events.length / 2);
    const config = await clusterRun('cluster-move', 200, events.slice(0, half));
    const group = 'cluster-move-detector';
    const first = await startDetector(config, keyring, group);
    detectors.push(first);
    await eventually(async () => (await coveredRecords(config, group)) >= half, 120_000, 'the first instance to checkpoint the first half');
    const second = await startDetector(config, keyring, group);
    detectors.push(second);
    await eventually(() => groupStable(config, group, 2), 60_000, 'both instances in the group');
    await publishEvents(config, keyring, events.slice(half));
    await eventually(async () => (await coveredRecords(config, group)) >= events.length, 120_000, 'the pair to cover every record');
    await Promise.all([first.stop(), second.stop()]);

    const processedBy = async (d: DetectorService) => counterValue(d, 'warden_detector_events_total', { result: 'processed' });
    // The second instance took partitions over (restoring their agents from the cluster) and processed records.
    expect(await processedBy(second)).toBeGreaterThan(0);
    expect(alertDiff(reference, await allAlerts(config))).toEqual({ missing: [], extra: [] });
  }, 180_000);

  it('a SIGKILLed detector restarted on the cluster gives the alert ids of an uninterrupted run', async () => {
    // Half the stream before the kill, the rest after: the kill cannot come after the last checkpoint, however
    // fast the first detector is (with every record published up front it once covered them all first).
    const half = Math.floor(events.length / 2);
    const config = await clusterRun('cluster-crash', 500, events.slice(0, half));
    const group = 'cluster-crash-detector';
    const json = keyringJsonFor(agentIds);
    const first = spawnDetector(config, group, json);
    children.push(first);
    await eventually(async () => (await coveredRecords(config, group)) > 0, 60_000, 'the first detector to checkpoint');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(await coveredRecords(config, group)).toBeLessThan(events.length);
    await publishEvents(config, keyring, events.slice(half));
    children.push(spawnDetector(config, group, json));
    const total = await topicSize(config, config.topics.events.name);
    await eventually(async () => (await coveredRecords(config, group)) >= total, 120_000, 'the restarted detector to catch up');
    expect(alertDiff(reference, await allAlerts(config))).toEqual({ missing: [], extra: [] });
  }, 180_000);
});
