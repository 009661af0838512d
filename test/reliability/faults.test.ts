/**
 * The Kafka broker and Redis restarted in the middle of a stream: 0 events
 * lost (every record covered by the detector's state, every forged one in the
 * DLQ) and the same alert ids as an uninterrupted run. On a broker and a Redis
 * of this file's own (test/support/faultStack.ts), never the shared stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectorService } from '../../services/detector/service.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { DLQ_HEADERS } from '../../shared/kafka/deadLetter.js';
import type { Alert } from '../../shared/schemas/generated.js';
import { counterValue, keyringFor, readTopic, startDetector } from '../support/detector.js';
import { alertDiff, allAlerts, coveredRecords, publishEvents, referenceRun, topicSize } from '../support/detectorRuns.js';
import { startFaultStack, type FaultStack } from '../support/faultStack.js';
import { incidentFleet } from '../support/scenario.js';
import { eventually, isolatedConfig, provisionTopics } from '../support/stack.js';

// Past the one-day learning period, incidents at the end (see crash.test.ts for why).
const { events, agentIds } = incidentFleet(18, 26 * 12, 40);
const keyring = keyringFor(agentIds);
const forged = events.filter((e) => e.forge).length;
const PARTITIONS = 3;

describe('faults: broker and Redis restarts mid-stream', () => {
  let stack: FaultStack;
  let reference: Alert[];
  const detectors: DetectorService[] = [];

  beforeAll(async () => {
    const ref = isolatedConfig('faults-ref', { events: PARTITIONS });
    await provisionTopics(ref);
    await publishEvents(ref, keyring, events);
    reference = await referenceRun(ref, keyring, events.length);
    expect(new Set(reference.map((a) => a.alertId)).size).toBeGreaterThanOrEqual(10);
    stack = await startFaultStack();
  }, 300_000);

  afterAll(async () => {
    for (const d of detectors) await d.stop();
    await stack?.stop();
  }, 120_000);

  /** A config on the fault stack, its topics provisioned. */
  async function rig(label: string, checkpointIntervalMs = 500): Promise<{ config: WardenConfig; group: string }> {
    const base = stack.use(isolatedConfig(label, { events: PARTITIONS }));
    const config: WardenConfig = { ...base, detector: { ...base.detector, checkpointIntervalMs } };
    await provisionTopics(config);
    return { config, group: `${label}-detector` };
  }

  /** 0 lost and the same alerts: every record covered by the state, every forged record in the DLQ, the reference's alert ids. */
  async function expectNothingLost(config: WardenConfig, group: string, detector: DetectorService): Promise<void> {
    const total = await topicSize(config, config.topics.events.name);
    expect(total).toBe(events.length);
    await eventually(async () => (await coveredRecords(config, group)) >= total, 180_000, 'the detector to cover every record after the fault');
    await detector.stop();
    const dlq = await readTopic(config, config.topics.dlq.name, forged, 60_000);
    expect(new Set(dlq.map((m) => `${m.headers?.[DLQ_HEADERS.partition]?.toString()}:${m.headers?.[DLQ_HEADERS.offset]?.toString()}`)).size).toBe(forged);
    expect(alertDiff(reference, await allAlerts(config))).toEqual({ missing: [], extra: [] });
  }

  it('a Kafka broker killed and restarted mid-stream, with processed progress not yet checkpointed: 0 events lost, the alert ids of an uninterrupted run', async () => {
    const { config, group } = await rig('faults-kafka', 3000);
    const half = Math.floor(events.length / 2);
    await publishEvents(config, keyring, events.slice(0, half));
    const detector = await startDetector(config, keyring, group);
    detectors.push(detector);
    const handled = async () => (await counterValue(detector, 'warden_detector_events_total', { result: 'processed' })) + (await counterValue(detector, 'warden_detector_events_total', { result: 'dlq' }));
    await eventually(async () => (await handled()) >= half, 60_000, 'the first half processed');
    // The broker dies while the detector holds progress that is processed but (partly) not checkpointed nor committed.
    let coveredAtKill = 0;
    await stack.restartKafka(async () => void (coveredAtKill = await coveredRecords(config, group)));
    console.log(`[faults] covered by checkpoints when the broker was killed: ${coveredAtKill} of ${half} processed`);
    await publishEvents(config, keyring, events.slice(half));
    expect(coveredAtKill).toBeLessThan(events.length);
    await expectNothingLost(config, group, detector);
  }, 300_000);

  it('Redis down while records arrive, then back: checkpoints (and batches that need Redis) wait it out; 0 events lost, the alert ids of an uninterrupted run', async () => {
    const { config, group } = await rig('faults-redis');
    const half = Math.floor(events.length / 2);
    await publishEvents(config, keyring, events.slice(0, half));
    const detector = await startDetector(config, keyring, group);
    detectors.push(detector);
    await eventually(async () => (await coveredRecords(config, group)) > 0, 60_000, 'a first checkpoint');
    await stack.stopRedis();
    await publishEvents(config, keyring, events.slice(half));
    // The detector meets the outage, then Redis comes back with its data. Batches whose agents are cached go on
    // (checkpoints run beside them), so it is a checkpoint that fails and stays pending; a batch that must load an
    // agent fails as an outage, to be retried.
    const metOutage = async () => (await counterValue(detector, 'warden_detector_checkpoint_failures_total')) + (await counterValue(detector, 'warden_detector_batch_failures_total', { outage: 'true' }));
    await eventually(async () => (await metOutage()) > 0, 120_000, 'a checkpoint or a batch to meet the Redis outage');
    await stack.startRedis();
    await expectNothingLost(config, group, detector);
  }, 300_000);
});
