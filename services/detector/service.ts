/**
 * The detector service: a consumer group on agent.events around the pure
 * engine. Per batch (one partition): skip what the stored state already
 * covers, decode and verify, run the engine, produce alerts and dead letters
 * (acks=-1), write the changed state and the covered offset to Redis in one
 * transaction, and only then commit the offset to Kafka.
 */
import { randomUUID } from 'node:crypto';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer, ensureTopics, type Consumer, type EachBatchPayload, type Message, type Producer } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { Registry } from '../../shared/metrics/index.js';
import { createRedis, type Redis } from '../../shared/redis/index.js';
import { createRegistry, registerSchemas, type SchemaIds, type SchemaRegistry } from '../../shared/registry/index.js';
import { AvroCodec } from '../../shared/registry/codec.js';
import { avroSchemas, type AgentActionEvent, type Alert } from '../../shared/schemas/generated.js';
import type { Keyring } from '../../shared/signing/index.js';
import { dlqMessage } from './dlq.js';
import type { EnginePort } from './enginePort.js';
import { classify, DEFAULT_LIMITS, preloadSchemas, type IntakeLimits } from './intake.js';
import { detectorMetrics, type DetectorMetrics } from './metrics.js';
import { StateStore } from './stateStore.js';

export interface DetectorOptions {
  config: WardenConfig;
  keyring: Keyring;
  engine: EnginePort;
  logger: Logger;
  groupId?: string;
  limits?: Partial<IntakeLimits>;
  metrics?: Registry;
  /** Per-agent state expires from Redis after this long without events (default 30 days). */
  stateTtlSeconds?: number;
  /** Most agents kept in process; beyond that the least recently used are evicted (they are in Redis). */
  maxCachedAgents?: number;
  /** Partitions processed concurrently (default 3). */
  partitionsInFlight?: number;
  /** Called after each batch is fully committed (tests and benchmarks observe progress with it). */
  onBatchCommitted?: (info: { partition: number; lastOffset: string; alerts: Alert[]; dlq: number }) => void;
}

export class DetectorService {
  readonly metrics: DetectorMetrics;
  readonly registry: Registry;
  readonly #o: DetectorOptions;
  readonly #limits: IntakeLimits;
  readonly #groupId: string;
  readonly #cached = new Map<string, true>(); // insertion order = LRU order
  readonly #processed = new Map<number, bigint>();
  #redis: Redis | null = null;
  #store: StateStore | null = null;
  #schemaRegistry: SchemaRegistry | null = null;
  #codec: AvroCodec<AgentActionEvent> | null = null;
  #ids: SchemaIds | null = null;
  #producer: Producer | null = null;
  #consumer: Consumer | null = null;
  #running = false;
  #stopping: Promise<void> | null = null;

  constructor(options: DetectorOptions) {
    this.#o = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#groupId = options.groupId ?? 'warden-detector';
    this.registry = options.metrics ?? new Registry();
    this.metrics = detectorMetrics(this.registry);
  }

  get ready(): boolean {
    return this.#running;
  }

  async start(): Promise<void> {
    const { config, logger } = this.#o;
    const kafka = createKafka(config, logger, `detector-${randomUUID().slice(0, 6)}`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, config);
    } finally {
      await admin.disconnect();
    }
    this.#schemaRegistry = createRegistry(config);
    this.#ids = await registerSchemas(this.#schemaRegistry, config);
    this.#codec = new AvroCodec<AgentActionEvent>(this.#schemaRegistry, avroSchemas.AgentActionEvent);
    this.#redis = createRedis(config);
    this.#store = new StateStore(this.#redis, this.#groupId);
    this.#o.engine.importShared(await this.#store.loadShared());

    this.#producer = createProducer(kafka);
    await this.#producer.connect();
    const consumer = kafka.consumer({ groupId: this.#groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 100 });
    this.#consumer = consumer;
    // A rebalance may move partitions (and their agents) elsewhere: forget cached state so it is reloaded from Redis.
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.#dropCache();
      logger.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'detector joined the group');
    });
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.events.name, fromBeginning: true });
    // Offsets are resolved only after a batch's alerts are acknowledged and its state written; kafkajs then
    // commits resolved offsets every second. Redis holds the exact covered offset per partition, so a
    // restart that re-reads the last second of records skips them instead of counting them twice.
    // Several partitions in flight overlap their Redis and Kafka round trips (the engine itself is synchronous).
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsInFlight ?? 3,
      eachBatch: (p) => this.#onBatch(p),
    });
    this.#running = true;
    logger.info({ topic: config.topics.events.name, groupId: this.#groupId }, 'detector consuming');
  }

  async #onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    const started = process.hrtime.bigint();
    const { engine } = this.#o;
    const store = this.#store!;
    const topic = batch.topic;
    const partition = batch.partition;
    try {
      let covered = this.#processed.get(partition);
      if (covered === undefined) {
        covered = await store.processedOffset(topic, partition);
        this.#processed.set(partition, covered);
      }
      const fresh = batch.messages.filter((m) => BigInt(m.offset) > covered!);
      const skipped = batch.messages.length - fresh.length;
      if (skipped > 0) this.metrics.events.inc({ result: 'skipped-duplicate' }, skipped);
      const lastOffset = batch.lastOffset();

      await preloadSchemas(this.#codec!, fresh);
      const now = Date.now();
      const verdicts = fresh.map((m) => classify(m, this.#codec!, this.#o.keyring, this.#limits, now));
      const agentIds = new Set<string>();
      for (const v of verdicts) if (v.event) agentIds.add(v.event.agentId);
      await this.#ensureLoaded([...agentIds]);

      const alerts: Alert[] = [];
      const dead: Message[] = [];
      const dirty = new Set<string>();
      verdicts.forEach((v, i) => {
        const m = fresh[i]!;
        if (v.kind === 'dlq') {
          dead.push(dlqMessage(m, { topic, partition, offset: m.offset }, v.reason, v.detail, now));
          this.metrics.dlq.inc({ reason: v.reason });
          this.metrics.events.inc({ result: 'dlq' });
          // A forged or unsigned event is known by its claimed agent: alert on it, never learn from it.
          if (v.event && v.verification) {
            alerts.push(...engine.process(v.event, v.verification));
            dirty.add(v.event.agentId);
          }
          return;
        }
        alerts.push(...engine.process(v.event, 'valid'));
        dirty.add(v.event.agentId);
        this.metrics.events.inc({ result: 'processed' });
      });

      await this.#publish(alerts, dead);
      const states = new Map<string, unknown>();
      for (const a of dirty) states.set(a, engine.exportAgent(a));
      await store.commit(topic, partition, lastOffset, states, engine.exportShared(), this.#o.stateTtlSeconds ?? 30 * 24 * 3600);
      this.#processed.set(partition, BigInt(lastOffset));
      resolveOffset(lastOffset); // marks it committable, and moves the fetch position
      await commitOffsetsIfNecessary();
      this.metrics.lag.set({ partition: String(partition) }, Number(batch.offsetLagLow()));
      for (const a of alerts) this.metrics.alerts.inc({ detector: a.detector, severity: a.severity });
      this.metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.#evictIfNeeded();
      this.#o.onBatchCommitted?.({ partition, lastOffset, alerts, dlq: dead.length });
      await heartbeat();
    } catch (err) {
      // The engine's in-process state may now be ahead of Redis: forget it, so the retried batch starts from the stored state.
      this.#dropCache();
      this.#o.engine.importShared(await store.loadShared().catch(() => null));
      this.#o.logger.error({ err: (err as Error).message, topic, partition }, 'batch failed; it will be retried from the last committed offset');
      throw err;
    }
  }

  async #ensureLoaded(agentIds: string[]): Promise<void> {
    const missing = agentIds.filter((a) => !this.#cached.has(a));
    if (missing.length > 0) {
      const states = await this.#store!.loadAgents(missing);
      for (const [agentId, state] of states) {
        if (state !== null) this.#o.engine.importAgent(agentId, state);
        this.#cached.set(agentId, true);
      }
    }
    for (const a of agentIds) {
      // refresh LRU position
      this.#cached.delete(a);
      this.#cached.set(a, true);
    }
    this.metrics.agentsCached.set(this.#cached.size);
  }

  #evictIfNeeded(): void {
    const max = this.#o.maxCachedAgents ?? 200_000;
    for (const agentId of this.#cached.keys()) {
      if (this.#cached.size <= max) break;
      this.#cached.delete(agentId);
      this.#o.engine.evictAgent(agentId);
    }
  }

  #dropCache(): void {
    for (const agentId of this.#cached.keys()) this.#o.engine.evictAgent(agentId);
    this.#cached.clear();
    this.#processed.clear();
  }

  async #publish(alerts: Alert[], dead: Message[]): Promise<void> {
    const { config } = this.#o;
    if (alerts.length > 0) {
      const messages = await Promise.all(alerts.map(async (a) => ({ key: a.agentId, value: await this.#schemaRegistry!.encode(this.#ids!.alerts, a), headers: { 'warden-alert-id': a.alertId } })));
      await this.#producer!.send({ topic: config.topics.alerts.name, acks: -1, messages });
    }
    // Dead letters keep the original bytes, which may be large: one produce request must stay under the
    // broker's record-batch limit, so they go in chunks of bounded size.
    for (const chunk of chunkBySize(dead, DLQ_REQUEST_BYTES)) await this.#producer!.send({ topic: config.topics.dlq.name, acks: -1, messages: chunk });
  }

  /** Stops once: finish the batch in hand, then disconnect (offsets were committed per batch). */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#running = false;
      await this.#consumer?.disconnect().catch(() => undefined);
      await this.#producer?.disconnect().catch(() => undefined);
      await this.#redis?.quit().catch(() => undefined);
    })();
    return this.#stopping;
  }
}

const DLQ_REQUEST_BYTES = 512 * 1024;

function chunkBySize(messages: Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = (m.value ? (m.value as Buffer).length : 0) + 200;
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
