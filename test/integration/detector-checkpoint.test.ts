/**
 * Checkpoints that do not stall their partition: batches of a partition run
 * while its checkpoint is encoded and written, and what Redis holds is still,
 * at every instant, one consistent cut: each agent's stored state counts
 * exactly its events at or below the stored covered offset (copy on write,
 * services/detector/checkpointCapture.ts). A counting engine with a slow
 * export (2 ms per agent) makes every checkpoint long enough for later
 * batches to arrive during it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FleetPublisher } from '../../cli/simulate/publisher.js';
import type { EnginePort } from '../../services/detector/enginePort.js';
import { DetectorService } from '../../services/detector/service.js';
import { agentStateKey, coveredOffsetKey } from '../../services/detector/stateStore.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { deleteKeysWithPrefix } from '../../shared/redis/cleanup.js';
import { keyringFor, readTopic, steadyEvents } from '../support/detector.js';
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

  it('runs batches during a checkpoint, and Redis always holds states exactly at the covered offset', async () => {
    await provisionTopics(config);
    const topic = config.topics.events.name;
    const group = `ckpt-${uniqueSuffix()}`;
    const log: string[] = [];
    const detector = new DetectorService({ config, keyring: keyringFor(AGENTS), engine: countingEngine(log), logger: testLogger, groupId: group });
    await detector.start();
    const cuts: (string | null)[][] = [];
    let sampling = true;
    const keys = [coveredOffsetKey(group, topic, 0), ...AGENTS.map((a) => agentStateKey(topic, 0, a))];
    const sampler = (async () => {
      while (sampling) {
        cuts.push(await redis.mget(...keys)); // one MGET: one instant of what Redis holds
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
    for (const [offset, ...states] of written) {
      const covered = Number(offset);
      AGENTS.forEach((a, i) => expect({ agent: a, covered, n: states[i] === null ? 0 : (JSON.parse(states[i]!) as { n: number }).n }).toEqual({ agent: a, covered, n: countAt(a, covered) }));
    }

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
});
