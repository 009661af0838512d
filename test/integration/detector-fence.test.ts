/**
 * The detector's checkpoint is fenced: when another writer has checkpointed
 * the partition since this instance last did, the instance's next checkpoint
 * writes nothing, its progress is dropped (counted as moved), and the
 * partition is read again from just after what Redis covers, onto the states
 * Redis holds. A counting engine makes every stored state checkable: an
 * agent's state is the number of its events it has seen.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FleetPublisher } from '../../cli/simulate/publisher.js';
import type { EnginePort } from '../../services/detector/enginePort.js';
import { DetectorService } from '../../services/detector/service.js';
import { agentStateKey, coveredOffsetKey, readStoredValue } from '../../services/detector/stateStore.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { deleteKeysWithPrefix } from '../../shared/redis/cleanup.js';
import { counterValue, keyringFor, steadyEvents } from '../support/detector.js';
import { eventually, isolatedConfig, provisionTopics, testLogger, uniqueSuffix } from '../support/stack.js';

const AGENTS = Array.from({ length: 10 }, (_, i) => `fence-${String(i).padStart(2, '0')}`);
/** What the other writer's states add to each agent's count: what survives of them shows in the final counts. */
const THEIRS = 100;

function countingEngine(): EnginePort {
  const counts = new Map<string, number>();
  return {
    process(event) {
      counts.set(event.agentId, (counts.get(event.agentId) ?? 0) + 1);
      return [];
    },
    observeUnverified: () => [],
    flushUnverified: () => [],
    exportAgent: (agentId) => (counts.has(agentId) ? { n: counts.get(agentId) } : undefined),
    importAgent: (agentId, state) => void counts.set(agentId, (state as { n: number }).n),
    evictAgent: (agentId) => void counts.delete(agentId),
    agentIds: () => [...counts.keys()],
    exportShared: () => null,
    importShared: () => undefined,
  };
}

describe('detector checkpoints are fenced by the covered offset', () => {
  const isolated = isolatedConfig('fence', { events: 1 });
  const config = { ...isolated, detector: { ...isolated.detector, checkpointIntervalMs: 0 } };
  const redis = createRedis(config);
  afterAll(async () => {
    await redis.quit();
    await deleteKeysWithPrefix(config, config.redis.keyPrefix);
  });

  it('a checkpoint over another writer\'s is refused; the partition is re-read onto the stored states from their offset', async () => {
    await provisionTopics(config);
    const topic = config.topics.events.name;
    const group = `fence-${uniqueSuffix()}`;
    const detector = new DetectorService({ config, keyring: keyringFor(AGENTS), engine: countingEngine(), logger: testLogger, groupId: group });
    await detector.start();
    const publisher = new FleetPublisher(createKafka(config, testLogger), config, keyringFor(AGENTS));
    await publisher.connect();
    // One partition, published in order: offset o is round floor(o / agents), agent o % agents.
    const events = steadyEvents(AGENTS, 3, 1000, Date.now());
    const round = (r: number) => events.slice(r * AGENTS.length, (r + 1) * AGENTS.length).map((event) => ({ event }));
    const covered = async () => redis.get(coveredOffsetKey(group, topic, 0));
    try {
      await publisher.publish(round(0));
      await eventually(async () => (await covered()) === String(AGENTS.length - 1), 60_000, 'the first round checkpointed');
      // Another writer checkpoints the partition meanwhile, at offset 4 (its states: THEIRS + one event for
      // agents 0-4, nothing for the rest). The detector, which expects its own offset 9, must not write over it.
      const theirs = 4;
      await redis.set(coveredOffsetKey(group, topic, 0), String(theirs));
      for (const [i, a] of AGENTS.entries()) {
        if (i <= theirs) await redis.set(agentStateKey(topic, 0, a), JSON.stringify({ n: THEIRS + 1 }));
        else await redis.del(agentStateKey(topic, 0, a));
      }
      await publisher.publish(round(1));
      await publisher.publish(round(2));
      await eventually(async () => (await covered()) === String(events.length - 1), 60_000, 'the last offset checkpointed');
    } finally {
      await publisher.disconnect();
      await detector.stop();
    }

    // The other writer's states were kept and every record after its offset counted once onto them: agents 0-4
    // have THEIRS + their three events, agents 5-9 their three events (offsets 5-9 re-read, then two rounds).
    const stored = await redis.mgetBuffer(...AGENTS.map((a) => agentStateKey(topic, 0, a)));
    expect(stored.map((s) => (readStoredValue(s!).state as { n: number }).n)).toEqual(AGENTS.map((_, i) => (i <= 4 ? THEIRS + 3 : 3)));
    expect(await counterValue(detector, 'warden_detector_dropped_progress_events_total', { cause: 'moved' })).toBeGreaterThan(0);
    expect(await counterValue(detector, 'warden_detector_checkpoint_failures_total')).toBe(0);
  }, 120_000);
});
