/**
 * Rebalances keep their work: when a second detector joins the group, the
 * partitions the first one keeps continue from its in-process progress; only
 * the partitions that move are processed again, from their last checkpoint.
 * So the records processed twice are at most the records the moved partitions
 * had processed since their last checkpoint, and the pair's alert ids are
 * those of one instance alone.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DetectorService } from '../../services/detector/service.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import { counterValue, keyringFor, startDetector } from '../support/detector.js';
import { alertDiff, allAlerts, coveredRecords, publishEvents, referenceRun } from '../support/detectorRuns.js';
import { incidentFleet } from '../support/scenario.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const { events, agentIds } = incidentFleet(24, 26 * 12, 40);
const keyring = keyringFor(agentIds);
const PARTITIONS = 6;

async function groupMembers(config: WardenConfig, group: string): Promise<number> {
  const admin = createKafka(config, testLogger).admin();
  await admin.connect();
  try {
    const [g] = (await admin.describeGroups([group])).groups;
    return g?.state === 'Stable' ? g.members.length : 0;
  } finally {
    await admin.disconnect();
  }
}

describe('rebalance', () => {
  const detectors: DetectorService[] = [];
  afterAll(async () => {
    for (const d of detectors) await d.stop();
  });

  it('a second instance joining mid-stream: processed twice <= uncheckpointed progress of the moved partitions; same alert ids as one instance', async () => {
    const ref = isolatedConfig('rebalance-ref', { events: PARTITIONS });
    await provisionTopics(ref);
    await publishEvents(ref, keyring, events);
    const reference = await referenceRun(ref, keyring, events.length);
    expect(new Set(reference.map((a) => a.alertId)).size).toBeGreaterThanOrEqual(10);

    const base = isolatedConfig('rebalance-pair', { events: PARTITIONS });
    // Checkpoints far apart: when the second instance joins, the first holds uncheckpointed progress on every
    // partition. Only the moved partitions' share of it may be processed again.
    const config = { ...base, detector: { ...base.detector, checkpointIntervalMs: 60_000 } };
    await provisionTopics(config);
    const half = Math.floor(events.length / 2);
    await publishEvents(config, keyring, events.slice(0, half));
    const group = 'rebalance-detector';
    const first = await startDetector(config, keyring, group);
    detectors.push(first);
    // Records handled: processed, or dead-lettered (the forged ones); not the duplicates skipped by the covered offset.
    const processed = async (d: DetectorService) => (await counterValue(d, 'warden_detector_events_total', { result: 'processed' })) + (await counterValue(d, 'warden_detector_events_total', { result: 'dlq' }));
    await eventually(async () => (await processed(first)) >= half, 120_000, 'the first instance to process the first half');
    expect(await coveredRecords(config, group)).toBe(0); // nothing checkpointed yet

    const second = await startDetector(config, keyring, group);
    detectors.push(second);
    await eventually(async () => (await groupMembers(config, group)) === 2, 60_000, 'both instances in the group');
    await publishEvents(config, keyring, events.slice(half));
    // Every record once, plus the moved partitions' dropped progress again (the most that may be processed twice;
    // fewer would mean records lost).
    const moved = () => counterValue(first, 'warden_detector_dropped_progress_events_total', { cause: 'moved' });
    await eventually(async () => (await processed(first)) + (await processed(second)) >= events.length + (await moved()), 120_000, 'the pair to process every record');
    await Promise.all([first.stop(), second.stop()]);

    const total = (await processed(first)) + (await processed(second));
    const droppedMoved = await moved();
    const droppedFailed = (await counterValue(first, 'warden_detector_dropped_progress_events_total', { cause: 'failed' })) + (await counterValue(second, 'warden_detector_dropped_progress_events_total', { cause: 'failed' }));
    // Some partitions moved with uncheckpointed progress, and some stayed (else nothing shows that kept ones keep it).
    expect(droppedMoved).toBeGreaterThan(0);
    expect(droppedMoved).toBeLessThan(half);
    expect(droppedFailed).toBe(0);
    expect(total - events.length).toBeLessThanOrEqual(droppedMoved);
    expect(await processed(second)).toBeGreaterThan(0);
    expect(alertDiff(reference, await allAlerts(config))).toEqual({ missing: [], extra: [] });
  }, 240_000);
});
