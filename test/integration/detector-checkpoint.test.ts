/**
 * Checkpoints that do not stall their partition: batches of a partition run
 * while its checkpoint is encoded and written, and what Redis holds is, at
 * every instant, what a restart needs: each agent's stored state counts
 * exactly its events at or below its own covered offset (written with it),
 * which is at or after the partition's stored covered offset whenever the
 * agent has events up to there (services/detector/checkpointCapture.ts). So
 * replaying from the partition's offset and skipping each agent's events up
 * to its own gives every event once. A counting engine with a slow export
 * (2 ms per agent) makes every checkpoint long enough for later batches to
 * arrive during it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FleetPublisher } from '../../cli/simulate/publisher.js';
import type { EnginePort } from '../../services/detector/enginePort.js';
import { DetectorService } from '../../services/detector/service.js';
import { agentStateKey, coveredOffsetKey, encodeStoredState, readStoredValue, StateStore, tagState } from '../../services/detector/stateStore.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { deleteKeysWithPrefix } from '../../shared/redis/cleanup.js';
import { counterValue, keyringFor, readTopic, steadyEvents } from '../support/detector.js';
import { eventually, isolatedConfig, provisionTopics, testLogger, uniqueSuffix } from '../support/stack.js';

const AGENTS = Array.from({ length: 30 }, (_, i) => `ckpt-${String(i).padStart(2, '0')}`);
const ROUNDS = 20;
const EXPORT_MS = 2;

/** Counts each agent's events; its state is that count. The log says what ran in which order. */
function countingEngine(log: string[]): EnginePort {
  const counts = new Map<string, number>();
  return {
    process(event) {
      counts.set(event.agentId, (counts.get(event.agentId) ?? 0) + 1);
      log.push('process');
      return [];
    },
    observeUnverified: () => [],
    flushUnverified: () => [],
    exportAgent(agentId) {
      const until = performance.now() + EXPORT_MS;
      while (performance.now() < until); // CPU work, as a real snapshot is
      log.push('export');
      return counts.has(agentId) ? { n: counts.get(agentId) } : undefined;
    },
    importAgent: (agentId, state) => void counts.set(agentId, (state as { n: number }).n),
    evictAgent: (agentId) => void counts.delete(agentId),
    agentIds: () => [...counts.keys()],
    // Called once per checkpoint (interval 0), after its Redis write: marks where a checkpoint ended.
    exportShared() {
      log.push('written');
      return null;
    },
    importShared: () => undefined,
  };
}

describe('detector checkpoints while the partition keeps processing', () => {
  const isolated = isolatedConfig('ckpt-pipeline', { events: 1 });
  const config = { ...isolated, detector: { ...isolated.detector, checkpointIntervalMs: 0 } };
  const redis = createRedis(config);
  afterAll(async () => {
    await redis.quit();
    await deleteKeysWithPrefix(config, config.redis.keyPrefix);
  });

  it('runs batches during a checkpoint, and Redis always holds each state exactly at its own covered offset, none behind the partition\'s', async () => {
    await provisionTopics(config);
    const topic = config.topics.events.name;
    const group = `ckpt-${uniqueSuffix()}`;
    const log: string[] = [];
    const detector = new DetectorService({ config, keyring: keyringFor(AGENTS), engine: countingEngine(log), logger: testLogger, groupId: group });
    await detector.start();
    const cuts: (Buffer | null)[][] = [];
    let sampling = true;
    const keys = [coveredOffsetKey(group, topic, 0), ...AGENTS.map((a) => agentStateKey(topic, 0, a))];
    const sampler = (async () => {
      while (sampling) {
        cuts.push(await redis.mgetBuffer(...keys)); // one MGET: one instant of what Redis holds
        await new Promise((r) => setImmediate(r));
      }
    })();
    const publisher = new FleetPublisher(createKafka(config, testLogger), config, keyringFor(AGENTS));
    await publisher.connect();
    const events = steadyEvents(AGENTS, ROUNDS, 1000, Date.now());
    try {
      // One round (one event per agent) per send, so batches keep coming while checkpoints run.
      for (let r = 0; r < ROUNDS; r++) await publisher.publish(events.slice(r * AGENTS.length, (r + 1) * AGENTS.length).map((event) => ({ event })));
      const last = String(events.length - 1);
      await eventually(async () => (await redis.get(coveredOffsetKey(group, topic, 0))) === last, 60_000, 'the last offset checkpointed');
    } finally {
      sampling = false;
      await sampler;
      await publisher.disconnect();
      await detector.stop();
    }

    // Which agent each offset belongs to (one partition, published in order; read back to be sure).
    const records = await readTopic(config, topic, events.length);
    const agentAt = new Map(records.map((m) => [Number(m.offset), m.key!.toString()]));
    const countAt = (agentId: string, covered: number) => {
      let n = 0;
      for (let o = 0; o <= covered; o++) if (agentAt.get(o) === agentId) n++;
      return n;
    };
    const written = cuts.filter((c) => c[0] !== null);
    expect(written.length).toBeGreaterThan(10);
    let ahead = 0;
    for (const [offset, ...values] of written) {
      const covered = Number(offset!.toString());
      AGENTS.forEach((a, i) => {
        const stored = values[i] ? readStoredValue(values[i]!) : null;
        const own = stored?.coveredOffset === null || stored === null ? covered : Number(stored.coveredOffset);
        const n = stored === null ? 0 : (stored.state as { n: number }).n;
        // Exactly its events up to its own offset, and none of its events up to the partition's is missing.
        expect({ agent: a, own, n }).toEqual({ agent: a, own, n: countAt(a, own) });
        expect(n).toBeGreaterThanOrEqual(countAt(a, covered));
        if (countAt(a, own) > countAt(a, covered)) ahead++;
      });
    }
    // Some states were written ahead of their checkpoint's offset (a batch ran between its slices): the case the
    // replay's skip is for.
    expect(ahead).toBeGreaterThan(0);

    // Batches ran while a checkpoint was being encoded: a `process` between two exports of one checkpoint.
    let inCheckpoint = false;
    let processedDuring = 0;
    for (const step of log) {
      if (step === 'export') inCheckpoint = true;
      else if (step === 'written') inCheckpoint = false;
      else if (inCheckpoint) processedDuring++;
    }
    expect(processedDuring).toBeGreaterThan(0);
    expect(new Set(written.map((c) => c[0])).size).toBeGreaterThan(2); // several checkpoints were seen, not only the last
  }, 120_000);

  it('a restart skips an agent\'s records that its state, written ahead of the partition\'s offset, already holds', async () => {
    // Topics of its own (offsets from 0, no other test's records to skip), keys under the suite's prefix.
    const aheadConfig = { ...config, topics: isolatedConfig('ckpt-ahead', { events: 1 }).topics };
    await provisionTopics(aheadConfig);
    const topic = aheadConfig.topics.events.name;
    const group = `ckpt-ahead-${uniqueSuffix()}`;
    const agents = ['ahead-a', 'ahead-b'];
    // 8 events each, interleaved on one partition: ahead-a's i-th at offset 2i, ahead-b's at 2i + 1.
    const events = steadyEvents(agents, 8, 1000, Date.now());
    const publisher = new FleetPublisher(createKafka(aheadConfig, testLogger), aheadConfig, keyringFor(agents));
    await publisher.connect();
    try {
      await publisher.publish(events.map((event) => ({ event })));
    } finally {
      await publisher.disconnect();
    }
    const records = await readTopic(aheadConfig, topic, events.length);
    const offsetsOf = (agentId: string) => records.filter((m) => m.key!.toString() === agentId).map((m) => Number(m.offset));
    const [a, b] = [offsetsOf('ahead-a'), offsetsOf('ahead-b')];
    // What a checkpoint leaves when a batch ran between its slices: the partition covered up to b's third event;
    // ahead-b encoded there (3 events), ahead-a encoded after that batch, with its first 5 events.
    const covered = b[2]!;
    const aheadAt = a[4]!;
    expect(aheadAt).toBeGreaterThan(covered);
    await new StateStore(redis, group).commit(topic, 0, String(covered), new Map([['ahead-a', tagState(BigInt(aheadAt), encodeStoredState({ n: 5 }))], ['ahead-b', tagState(BigInt(covered), encodeStoredState({ n: 3 }))]]), 60, [-1n]);

    const detector = new DetectorService({ config: aheadConfig, keyring: keyringFor(agents), engine: countingEngine([]), logger: testLogger, groupId: group });
    await detector.start();
    const last = String(records.length - 1);
    try {
      await eventually(async () => (await redis.get(coveredOffsetKey(group, topic, 0))) === last, 60_000, 'the last offset checkpointed');
      // Skipped: the records up to the partition's offset (no Kafka commit yet: read from the start), and ahead-a's
      // after it but within its own (2), which would otherwise count twice.
      expect(await counterValue(detector, 'warden_detector_events_total', { result: 'skipped-duplicate' })).toBe(covered + 1 + a.filter((o) => o > covered && o <= aheadAt).length);
    } finally {
      await detector.stop();
    }
    const stored = await redis.mgetBuffer(agentStateKey(topic, 0, 'ahead-a'), agentStateKey(topic, 0, 'ahead-b'));
    expect(stored.map((v) => (readStoredValue(v!).state as { n: number }).n)).toEqual([8, 8]); // every event once
  }, 120_000);
});
