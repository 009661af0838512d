/**
 * Self-monitoring on the real stack: the detector raises `warden.health.*`
 * alerts of its own on security.alerts when it falls behind, dead-letters a
 * flood, cannot checkpoint, or stalls on a partition; each at most once per
 * repeat interval. Faults are made by wrapping the real engine (a batch that
 * throws, a snapshot that fails), not by mocking Kafka or Redis.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createDetectionEngine } from '../../services/detector/engine.js';
import type { EnginePort } from '../../services/detector/enginePort.js';
import { HEALTH_DETECTOR, HEALTH_RULES } from '../../services/detector/health.js';
import { DetectorService } from '../../services/detector/service.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer, type Consumer } from '../../shared/kafka/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import type { Alert } from '../../shared/schemas/generated.js';
import { counterValue, keyringFor, steadyEvents } from '../support/detector.js';
import { publishEvents } from '../support/detectorRuns.js';
import { eventually, isolatedConfig, provisionTopics, testLogger, uniqueSuffix } from '../support/stack.js';

const agents = ['health-a', 'health-b', 'health-c'];
const keyring = keyringFor(agents);

interface Rig { config: WardenConfig; detector: DetectorService; alerts: Alert[]; consumer: Consumer; faults: { process: boolean; exportAgent: boolean } }
const rigs: Rig[] = [];

/** A detector with tight health thresholds and switchable faults in its (real) engine, plus a reader of its alerts topic. */
async function rig(label: string, health: Partial<WardenConfig['detector']['health']>, detector: Partial<WardenConfig['detector']> = {}): Promise<Rig> {
  const base = isolatedConfig(label, { events: 1 });
  const config: WardenConfig = {
    ...base,
    detector: { ...base.detector, maxBatchAttempts: 100, ...detector, health: { ...base.detector.health, intervalMs: 100, repeatAfterMs: 600_000, ...health } },
  };
  await provisionTopics(config);
  const faults = { process: false, exportAgent: false };
  const real = createDetectionEngine();
  const engine: EnginePort = {
    ...real,
    process: (event, verification) => {
      if (faults.process) throw new Error('injected engine fault');
      return real.process(event, verification);
    },
    exportAgent: (agentId) => {
      if (faults.exportAgent) throw new Error('injected snapshot fault');
      return real.exportAgent(agentId);
    },
  };
  const alerts: Alert[] = [];
  const registry = createRegistry(config);
  const consumer = createKafka(config, testLogger).consumer({ groupId: `health-reader-${uniqueSuffix()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.alerts.name, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void alerts.push((await registry.decode(message.value!)) as Alert) });
  const service = new DetectorService({ config, keyring, engine, logger: testLogger, groupId: `health-${uniqueSuffix()}` });
  const r: Rig = { config, detector: service, alerts, consumer, faults };
  rigs.push(r);
  return r;
}

const healthAlerts = (r: Rig, rule: string) => r.alerts.filter((a) => a.detector === HEALTH_DETECTOR && a.ruleId === rule);

afterAll(async () => {
  for (const r of rigs) {
    await r.detector.stop();
    await r.consumer.disconnect();
  }
});

describe('detector self-monitoring (warden.health.*)', () => {
  it('consumer lag: records pile up behind a partition whose batches fail', async () => {
    const r = await rig('health-lag', { maxLagRecords: 20, stalledAfterMs: 600_000 });
    r.faults.process = true;
    await publishEvents(r.config, keyring, steadyEvents(agents, 30, 1000, Date.now()).map((event) => ({ event })));
    await r.detector.start();
    const [lag] = await eventually(() => healthAlerts(r, HEALTH_RULES.lag).length > 0 && healthAlerts(r, HEALTH_RULES.lag), 30_000, 'a lag alert');
    expect(lag!.agentId).toBe('*');
    expect(lag!.evidence.observed).toBe(90);
    expect(lag!.evidence.details.partitions).toBe('0');
    expect(lag!.evidence.details.limit).toBe('20');
    // Rate-limited: more samples (every 100 ms) while the lag holds raise no second alert within the repeat interval.
    const samples = await counterValue(r.detector, 'warden_detector_health_samples_total', { result: 'ok' });
    await eventually(async () => (await counterValue(r.detector, 'warden_detector_health_samples_total', { result: 'ok' })) >= samples + 5, 30_000, 'five more health samples');
    await r.detector.stop();
    expect(healthAlerts(r, HEALTH_RULES.lag)).toHaveLength(1);
    expect(healthAlerts(r, HEALTH_RULES.stalled)).toHaveLength(0); // its threshold was not reached
  }, 60_000);

  it('stalled partition: no progress for longer than the limit while records wait', async () => {
    const r = await rig('health-stall', { stalledAfterMs: 500, maxLagRecords: 1_000_000 });
    r.faults.process = true;
    await publishEvents(r.config, keyring, steadyEvents(agents, 5, 1000, Date.now()).map((event) => ({ event })));
    await r.detector.start();
    const [stalled] = await eventually(() => healthAlerts(r, HEALTH_RULES.stalled).length > 0 && healthAlerts(r, HEALTH_RULES.stalled), 30_000, 'a stalled-partition alert');
    expect(stalled!.severity).toBe('HIGH');
    expect(stalled!.evidence.observed).toBeGreaterThan(500);
    expect(stalled!.evidence.details.lagRecords).toBe('15');
    expect(healthAlerts(r, HEALTH_RULES.lag)).toHaveLength(0);
    // Once the fault clears, the partition moves on and its records are processed.
    r.faults.process = false;
    await eventually(async () => (await counterValue(r.detector, 'warden_detector_events_total', { result: 'processed' })) >= 15, 30_000, 'the partition to resume');
  }, 60_000);

  it('DLQ rate: a flood of undecodable records', async () => {
    const r = await rig('health-dlq', { maxDlqPerMinute: 60 });
    await r.detector.start();
    const producer = createProducer(createKafka(r.config, testLogger));
    await producer.connect();
    await producer.send({ topic: r.config.topics.events.name, acks: -1, messages: Array.from({ length: 200 }, (_, i) => ({ key: `junk-${i}`, value: Buffer.from(`not avro ${i}`) })) });
    await producer.disconnect();
    const [dlq] = await eventually(() => healthAlerts(r, HEALTH_RULES.dlqRate).length > 0 && healthAlerts(r, HEALTH_RULES.dlqRate), 30_000, 'a DLQ-rate alert');
    expect(Number(dlq!.evidence.details.dlqRecords)).toBeGreaterThan(0);
    expect(dlq!.evidence.observed).toBeGreaterThan(60);
    expect(healthAlerts(r, HEALTH_RULES.dlqRate)).toHaveLength(1);
  }, 60_000);

  it('checkpoint age: processed progress that cannot be written to Redis', async () => {
    const r = await rig('health-ckpt', { maxCheckpointAgeMs: 600 }, { checkpointIntervalMs: 200 });
    r.faults.exportAgent = true;
    await publishEvents(r.config, keyring, steadyEvents(agents, 5, 1000, Date.now()).map((event) => ({ event })));
    await r.detector.start();
    const [age] = await eventually(() => healthAlerts(r, HEALTH_RULES.checkpointAge).length > 0 && healthAlerts(r, HEALTH_RULES.checkpointAge), 30_000, 'a checkpoint-age alert');
    expect(age!.evidence.observed).toBeGreaterThan(600);
    expect(age!.evidence.details.partitions).toBe('0');
    expect(healthAlerts(r, HEALTH_RULES.stalled)).toHaveLength(0);
  }, 60_000);
});
