/**
 * The detector service: a consumer group on agent.events around the pure
 * engine. Per batch (one partition): skip what the stored state already
 * covers, decode and verify, run the engine, produce alerts and dead letters
 * (acks=-1). Per checkpoint (every `detector.checkpointIntervalMs`, per
 * partition): write the partition's changed agents and its covered offset to
 * Redis in one transaction, and only then commit the offset to Kafka. The
 * partition keeps processing while its checkpoint is encoded (in slices
 * between its batches) and written; each agent is written as it stands, with
 * its own covered offset (checkpointCapture.ts, stateStore.ts).
 *
 * Why checkpoints rather than a write per batch: an agent's state snapshot
 * costs far more than one event's detection, and a busy agent appears in
 * every batch. Nothing is lost by waiting: a crash re-reads from the last
 * committed offset onto the last checkpointed state, and alert ids are
 * deterministic, so the replayed alerts are the same alerts.
 */
import { randomUUID } from 'node:crypto';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer, provisionTopics, type Consumer, type EachBatchPayload, type Message, type Producer } from '../../shared/kafka/index.js';
import { dlqMessage, headerBytes } from '../../shared/kafka/deadLetter.js';
import { isRetriable } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { Registry } from '../../shared/metrics/index.js';
import { createRedis, type Redis } from '../../shared/redis/index.js';
import { createRegistry, registerSchemas, type SchemaIds, type SchemaRegistry } from '../../shared/registry/index.js';
import { AvroCodec } from '../../shared/registry/codec.js';
import { avroSchemas, type AgentActionEvent, type Alert } from '../../shared/schemas/generated.js';
import type { Keyring } from '../../shared/signing/index.js';
import type { EnginePort } from './enginePort.js';
import { classifyBatch, DEFAULT_LIMITS, preloadSchemas, type IntakeLimits } from './intake.js';
import { createVerifier, type Verifier } from './verifyPool.js';
import { HealthMonitor } from './health.js';
import { HealthProbe } from './healthProbe.js';
import { detectorMetrics, type DetectorMetrics } from './metrics.js';
import { AgentCache } from './agentCache.js';
import { PartitionLedger } from './partitionLedger.js';
import { encodeStoredState, StateMovedError, StateStore, tagState } from './stateStore.js';
import type { CheckpointCapture } from './checkpointCapture.js';

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
  /** Partitions processed concurrently (default: config.detector.partitionsInFlight). */
  partitionsInFlight?: number;
  /** Default: config.detector.checkpointIntervalMs (0 = after every batch). */
  checkpointIntervalMs?: number;
  /** Signature verification threads (default: config.detector.verifyWorkers; 0 = inline). */
  verifyWorkers?: number;
  /** Called after each batch is processed and its alerts acknowledged (tests and benchmarks observe progress with it). */
  onBatchDone?: (info: { partition: number; lastOffset: string; alerts: Alert[]; dlq: number }) => void;
}

export class DetectorService {
  readonly metrics: DetectorMetrics;
  readonly registry: Registry;
  readonly #o: DetectorOptions;
  readonly #limits: IntakeLimits;
  readonly #groupId: string;
  /** Agents whose state the engine holds, with the partition they came from. */
  readonly #cached: AgentCache;
  /** Per partition: progress, checkpoints, epochs (a moved or failed partition forgets only its own). */
  readonly #ledger: PartitionLedger;
  /** Per partition: its checkpoint being encoded and written (settles, never rejects; kept past a drop until it settles). */
  readonly #checkpointWrites = new Map<number, Promise<void>>();
  /** Per partition: consecutive failures that were not outages (see detector.maxBatchAttempts). */
  readonly #failures = new Map<number, { count: number; lastError: string }>();
  /** Per partition: the tail of its serial work (batches and timer checkpoints never overlap). */
  readonly #partitionTail = new Map<number, Promise<void>>();
  #checkpointTimer: NodeJS.Timeout | null = null;
  #deadLettersSinceSample = 0;
  #health: HealthProbe | null = null;
  #sharedWrittenAt = 0;
  #redis: Redis | null = null;
  #store: StateStore | null = null;
  #schemaRegistry: SchemaRegistry | null = null;
  #codec: AvroCodec<AgentActionEvent> | null = null;
  #ids: SchemaIds | null = null;
  #producer: Producer | null = null;
  #consumer: Consumer | null = null;
  #verifier: Verifier | null = null;
  #running = false;
  #stopping: Promise<void> | null = null;

  constructor(options: DetectorOptions) {
    this.#o = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#groupId = options.groupId ?? 'warden-detector';
    this.#cached = new AgentCache((agentId) => options.engine.evictAgent(agentId));
    this.#ledger = new PartitionLedger(Date.now, this.#checkpointIntervalMs);
    this.registry = options.metrics ?? new Registry();
    this.metrics = detectorMetrics(this.registry);
  }

  get ready(): boolean {
    return this.#running;
  }

  async start(): Promise<void> {
    const { config, logger } = this.#o;
    const instance = `detector-${randomUUID().slice(0, 6)}`;
    const kafka = createKafka(config, logger, instance);
    await provisionTopics(kafka, config);
    this.#schemaRegistry = createRegistry(config);
    this.#ids = await registerSchemas(this.#schemaRegistry, config);
    this.#codec = new AvroCodec<AgentActionEvent>(this.#schemaRegistry, avroSchemas.AgentActionEvent);
    this.#verifier = createVerifier(this.#o.keyring, this.#o.verifyWorkers ?? config.detector.verifyWorkers);
    this.#redis = createRedis(config);
    // Without a listener ioredis prints every failed reconnect; one warning per outage says it, the batches wait it out.
    let redisDown = false;
    this.#redis.on('error', (err: Error) => {
      if (!redisDown) logger.warn({ err: err.message }, 'redis unreachable; batches wait for it');
      redisDown = true;
    });
    this.#redis.on('ready', () => {
      if (redisDown) logger.info('redis reachable again');
      redisDown = false;
    });
    this.#store = new StateStore(this.#redis, this.#groupId);
    this.#o.engine.importShared(await this.#store.loadShared());

    this.#producer = createProducer(kafka);
    await this.#producer.connect();
    // A bounded fetch per partition bounds how long a record waits for the rest of its fetch (config schema says why).
    const consumer = kafka.consumer({ groupId: this.#groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 100, maxBytesPerPartition: config.detector.fetchMaxPartitionBytes });
    this.#consumer = consumer;
    // A rebalance moves some partitions (and their agents) elsewhere: only those are forgotten, to be re-read by
    // their new owner from their checkpoint. Partitions still ours keep their in-process progress.
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[config.topics.events.name] ?? [];
      const { lost, kept } = this.#onAssignment(config.topics.events.name, assigned);
      logger.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment, lost, kept }, 'detector joined the group');
    });
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.events.name, fromBeginning: true });
    // Offsets are resolved after a batch's alerts are acknowledged (that moves the fetch position) and
    // committed by us, only after a checkpoint wrote the state they cover. Redis holds the exact covered
    // offset per partition, so a restart that re-reads records the state already includes skips them.
    // Several partitions in flight overlap their Redis and Kafka round trips (the engine itself is synchronous).
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.partitionsInFlight ?? config.detector.partitionsInFlight,
      eachBatch: (p) => this.#serially(p.batch.partition, () => this.#onBatch(p)),
    });
    this.#running = true;
    // A partition that goes quiet still gets its last progress checkpointed and committed.
    const interval = this.#checkpointIntervalMs;
    if (interval > 0) {
      this.#checkpointTimer = setInterval(() => void this.#checkpointDue(Date.now()), interval);
      this.#checkpointTimer.unref();
    }
    const health = config.detector.health;
    if (health.intervalMs > 0) {
      const topic = config.topics.events.name;
      this.#health = new HealthProbe({
        admin: kafka.admin(), groupId: this.#groupId, topic, intervalMs: health.intervalMs, logger,
        monitor: new HealthMonitor(health, { groupId: this.#groupId, instance, topic }),
        view: {
          assigned: () => this.#ledger.assigned,
          processed: (p) => this.#ledger.processed(p),
          progressAt: (p) => this.#ledger.progressAt(p),
          pendingSince: (p) => this.#ledger.pendingSince(p),
          takeDeadLetters: () => {
            const n = this.#deadLettersSinceSample;
            this.#deadLettersSinceSample = 0;
            return n;
          },
        },
        publish: (alerts) => this.#publish(alerts, []),
        onSample: (ok) => this.metrics.healthSamples.inc({ result: ok ? 'ok' : 'failed' }),
      });
      await this.#health.start();
    }
    logger.info({ topic: config.topics.events.name, groupId: this.#groupId, verifyWorkers: this.#o.verifyWorkers ?? config.detector.verifyWorkers }, 'detector consuming');
  }

  get #maxBatchAttempts(): number {
    return this.#o.config.detector.maxBatchAttempts;
  }

  get #checkpointIntervalMs(): number {
    return this.#o.checkpointIntervalMs ?? this.#o.config.detector.checkpointIntervalMs;
  }

  /**
   * After a join: forget the partitions that moved away; resume the ones still ours where their in-process
   * progress stands. kafkajs would fetch them again from the committed offset (a checkpoint behind); the
   * seek saves that re-read (and were it lost, the covered-offset filter would still skip the records).
   */
  #onAssignment(topic: string, assigned: number[]): { lost: number[]; kept: number[] } {
    const mine = new Set(assigned);
    this.#ledger.assign(assigned);
    const known = new Set<number>([...this.#ledger.known(), ...this.#cached.partitions()]);
    const lost = [...known].filter((p) => !mine.has(p)).sort((a, b) => a - b);
    this.#dropPartitions(lost, 'moved');
    const kept: number[] = [];
    for (const p of assigned) {
      const covered = this.#ledger.processed(p);
      if (covered === undefined || covered < 0n) continue;
      this.#consumer!.seek({ topic, partition: p, offset: (covered + 1n).toString() });
      kept.push(p);
    }
    return { lost, kept };
  }

  /** Runs `fn` after the partition's previous work (a batch or the start of a checkpoint) settles. */
  #serially<T>(partition: number, fn: () => Promise<T>): Promise<T> {
    const run = (this.#partitionTail.get(partition) ?? Promise.resolve()).then(fn); // the tail never rejects
    this.#partitionTail.set(partition, run.then(() => undefined, () => undefined));
    return run;
  }

  async #onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    if (batch.isEmpty() || !isRunning() || isStale() || !this.#running) return;
    await this.#processBatch(payload);
    // Outside the batch's try: a heartbeat that learns of a rebalance is not a failed batch (its work is done).
    await heartbeat();
  }

  async #processBatch({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    const started = process.hrtime.bigint();
    const { engine } = this.#o;
    const store = this.#store!;
    const topic = batch.topic;
    const partition = batch.partition;
    try {
      let covered = this.#ledger.processed(partition);
      if (covered === undefined) {
        // A checkpoint of this partition begun before it was dropped may still be landing in Redis: read the
        // covered offset and the agents after it did, or the offset could be older than the states read after it.
        await this.#checkpointWrites.get(partition);
        covered = await store.processedOffset(topic, partition);
        this.#ledger.resume(partition, covered);
        this.#o.logger.debug({ partition, covered: String(covered), firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset() }, 'partition resumed from the stored state');
      }
      const fresh = batch.messages.filter((m) => BigInt(m.offset) > covered!);
      let skipped = batch.messages.length - fresh.length;
      const lastOffset = batch.lastOffset();
      // What the state covers after this batch. Never lower than before: a batch re-read from an older
      // Kafka commit (all or partly at or below the stored covered offset) must not move it back, or the
      // next batch would replay events the state already holds (seen as seq replays).
      const coveredAfter = BigInt(lastOffset) > covered ? lastOffset : covered.toString();

      const epoch = this.#ledger.epochOf(partition);
      await preloadSchemas(this.#codec!, fresh);
      const now = Date.now();
      const verdicts = await classifyBatch(fresh, this.#codec!, this.#verifier!, this.#limits, now);
      const agentIds = new Set<string>();
      for (const v of verdicts) if (v.event) agentIds.add(v.event.agentId);
      await this.#ensureLoaded(topic, partition, [...agentIds]);
      if (epoch !== this.#ledger.epochOf(partition)) return; // state was dropped meanwhile: leave the batch to be re-read

      const alerts: Alert[] = [];
      const dead: Message[] = [];
      const dirty = new Set<string>();
      let processed = 0;
      const dlqLimit = this.#o.config.topics.dlq.maxMessageBytes;
      const parking = this.#failures.get(partition);
      if (parking && parking.count >= this.#maxBatchAttempts) {
        // This partition's batch failed again and again for a reason that is not an outage: park it in the
        // DLQ (nothing lost, the reason says why) and move on, instead of stalling the partition for ever.
        for (const m of fresh) dead.push(dlqMessage(m, { topic, partition, offset: m.offset }, 'batch.parked', `batch failed ${parking.count} times: ${parking.lastError}`, now, dlqLimit));
        this.metrics.dlq.inc({ reason: 'batch.parked' }, fresh.length);
        this.metrics.events.inc({ result: 'dlq' }, fresh.length);
        this.#o.logger.error({ partition, records: fresh.length, firstOffset: fresh[0]?.offset, lastOffset, attempts: parking.count, err: parking.lastError }, 'batch parked to the DLQ after repeated failures');
      } else {
        verdicts.forEach((v, i) => {
          const m = fresh[i]!;
          if (v.kind === 'dlq') {
            dead.push(dlqMessage(m, { topic, partition, offset: m.offset }, v.reason, v.detail, now, dlqLimit));
            this.metrics.dlq.inc({ reason: v.reason });
            this.metrics.events.inc({ result: 'dlq' });
            // A forged or unsigned event is known by the identity it claims: counted in an aggregated alert,
            // placed in a window by our clock (not the sender's), and it leaves no state of the agent's.
            if (v.event && v.verification) alerts.push(...engine.observeUnverified(v.event, v.verification, { atMs: now, partition, offset: m.offset }));
            return;
          }
          // Loaded ahead of the partition (its checkpoint encoded it after later batches): already in its state.
          if (this.#ledger.aheadOf(partition, v.event.agentId, BigInt(m.offset))) {
            skipped += 1;
            return;
          }
          alerts.push(...engine.process(v.event, 'valid'));
          dirty.add(v.event.agentId);
          processed += 1;
        });
      }
      alerts.push(...engine.flushUnverified(now));
      if (skipped > 0) this.metrics.events.inc({ result: 'skipped-duplicate' }, skipped);

      await this.#publish(alerts, dead);
      // Dropped while publishing: these agents' in-process state is gone, so this batch's effects are too.
      // The alerts are out (and idempotent); the batch will be re-read onto the stored state.
      if (epoch !== this.#ledger.epochOf(partition)) {
        // Agents this batch created after the drop are not cached: forget them too (they are reloaded if they come back).
        for (const a of dirty) if (!this.#cached.has(a)) engine.evictAgent(a);
        return;
      }
      // Counted only once the batch's effects are kept: a dropped batch is processed again, and counted then.
      this.metrics.events.inc({ result: 'processed' }, processed);
      this.#deadLettersSinceSample += dead.length;
      this.#failures.delete(partition);
      this.#ledger.advance(topic, partition, coveredAfter, dirty);
      resolveOffset(lastOffset); // moves the fetch position; the commit waits for the checkpoint
      // Started here, between batches, where the engine's state is exactly that of the covered offset; not awaited.
      if (this.#ledger.isDue(partition)) void this.#startCheckpoint(partition);
      this.metrics.lag.set({ partition: String(partition) }, Number(batch.offsetLagLow()));
      for (const a of alerts) this.metrics.alerts.inc({ detector: a.detector, severity: a.severity });
      this.metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.#evictIfNeeded();
      this.#o.onBatchDone?.({ partition, lastOffset, alerts, dlq: dead.length });
    } catch (err) {
      // The engine's state of this partition's agents may now be ahead of Redis: forget it (and the partition's
      // uncheckpointed progress), so the retried batch starts from the stored state. Other partitions are untouched;
      // the peer-group state may count the retried batch twice (it is approximate by nature).
      if (err instanceof StateMovedError) {
        this.#stateMoved(err);
        this.metrics.batchFailures.inc({ outage: 'true' });
        throw err;
      }
      this.#dropPartitions([partition], 'failed');
      const outage = isRetriable(err);
      this.metrics.batchFailures.inc({ outage: String(outage) });
      const failures = this.#failures.get(partition) ?? { count: 0, lastError: '' };
      // An outage is waited out however long it lasts; anything else counts toward parking the batch.
      if (!outage) this.#failures.set(partition, { count: failures.count + 1, lastError: (err as Error).message.slice(0, 300) });
      this.#o.logger.error({ err: (err as Error).message, topic, partition, outage, attempts: outage ? undefined : failures.count + 1 }, 'batch failed; it will be retried from the last committed offset');
      throw err;
    }
  }

  /**
   * Begins a checkpoint of the partition if one is due and none is in flight, and returns its write (which settles,
   * never rejects). Call it inside the partition's serial queue, between batches: the capture takes the pending
   * agents and the covered offset, and the partition's next batches run while it is encoded and written.
   */
  #startCheckpoint(partition: number): Promise<void> | undefined {
    const { engine } = this.#o;
    // Run only between the partition's batches (#writeCheckpoint's slices are in its serial queue), so an agent's
    // state is exactly that of the partition's processed offset, whose alerts are acknowledged.
    const capture = this.#ledger.begin(partition, (agentId) => {
      const state = engine.exportAgent(agentId);
      return state === undefined ? undefined : tagState(this.#ledger.processed(partition)!, encodeStoredState(state));
    });
    if (!capture) return this.#checkpointWrites.get(partition);
    const write = this.#writeCheckpoint(partition, capture).then((written) => {
      if (this.#checkpointWrites.get(partition) === write) this.#checkpointWrites.delete(partition);
      // Progress that came in meanwhile and is already due (an interval of 0) goes next. Not after a failure:
      // the next batch or timer tick retries it, rather than a loop re-encoding everything while Redis is down.
      if (written && this.#running && this.#ledger.isDue(partition)) void this.#serially(partition, async () => void this.#startCheckpoint(partition));
    });
    this.#checkpointWrites.set(partition, write);
    return write;
  }

  /**
   * Encodes the capture in slices, each in the partition's serial queue (between its batches; other partitions'
   * batches, and this one's, run between the slices), writes its agents and covered offset in one Redis transaction
   * (one hash slot), then commits the next offset to Kafka. A failure puts the capture back into pending; a drop
   * meanwhile (rebalance, failed batch) abandons it before the write.
   */
  async #writeCheckpoint(partition: number, capture: CheckpointCapture): Promise<boolean> {
    const { engine } = this.#o;
    const started = process.hrtime.bigint();
    const epoch = this.#ledger.epochOf(partition);
    const { topic, lastOffset } = capture;
    try {
      // Sliced by time, not by count: a warm agent's snapshot takes ~0.3-1.2 ms, so 32 of them held the loop for
      // up to ~40 ms, longer than an alert may wait (bench/latency.ts).
      for (;;) {
        const done = await this.#serially(partition, async () => (epoch === this.#ledger.epochOf(partition) ? capture.encodeFor(SNAPSHOT_SLICE_MS) : null));
        if (done === null) return false; // dropped while encoding: a partial state must not be written
        if (done) break;
        await new Promise((r) => setImmediate(r));
      }
      if (epoch !== this.#ledger.epochOf(partition)) return false;
      // Fenced like the loads: Redis must still hold what this instance resumed from or last wrote (or this capture,
      // when a write that seemed to fail had landed), else another writer has checkpointed the partition meanwhile.
      await this.#store!.commit(topic, partition, lastOffset, capture.states, this.#o.stateTtlSeconds ?? 30 * 24 * 3600, this.#ledger.storedOffsets(partition));
      // Dropped while writing: what Redis now holds is consistent (states and offset of one capture), and the
      // partition's next owner or retry reads it from there.
      if (epoch !== this.#ledger.epochOf(partition)) return false;
      this.#ledger.checkpointed(partition, capture);
    } catch (err) {
      // Nothing was written, and the in-process state no longer follows Redis: dropped, no Kafka commit.
      if (err instanceof StateMovedError) {
        if (epoch === this.#ledger.epochOf(partition)) this.#stateMoved(err);
        return false;
      }
      // Left pending: the next batch or tick tries again; a restart replays from the last commit.
      this.#ledger.abort(partition, capture);
      this.metrics.checkpointFailures.inc();
      this.#o.logger.warn({ err: (err as Error).message, partition }, 'checkpoint failed; will retry');
      return false;
    }
    // The role-level (peer) state is one document for all partitions (~2 KB per 100 agents) and approximate
    // by nature: written on its own key (it cannot share every partition's slot), at most once per interval.
    const now = Date.now();
    if (now - this.#sharedWrittenAt >= this.#checkpointIntervalMs) {
      this.#sharedWrittenAt = now;
      // Best effort: the partition's checkpoint is written; the next interval writes the peer state again.
      await this.#store!.writeShared(JSON.stringify(engine.exportShared())).catch((err: Error) => this.#o.logger.warn({ err: err.message }, 'peer state write failed; will retry'));
    }
    try {
      await this.#consumer!.commitOffsets([{ topic, partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
    } catch (err) {
      // The state and its covered offset are in Redis: a restart or a new owner skips what they cover, and the
      // next checkpoint commits a later offset. A commit refused during a rebalance is no reason to drop work.
      this.#o.logger.warn({ err: (err as Error).message, partition, lastOffset }, 'offset commit failed after the checkpoint; the next one commits');
    }
    this.#o.logger.debug({ partition, lastOffset, agents: capture.states.size }, 'checkpoint written');
    this.metrics.checkpointSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return true;
  }

  /** Checkpoints every partition due at `now` (the timer), or all with progress (stop), and waits for the writes. */
  async #checkpointDue(now = Infinity): Promise<void> {
    const due = this.#ledger.due(now);
    // The capture is taken in the partition's queue; the write is awaited outside it (batches go on meanwhile).
    const writes = await Promise.all(due.map((partition) => this.#serially(partition, async () => ({ write: this.#startCheckpoint(partition) }))));
    await Promise.all(writes.map((w) => w.write));
  }

  /** At stop: the writes in flight land, then what is still unsaved is checkpointed (batches in hand may add some). */
  async #checkpointAll(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      await Promise.all([...this.#checkpointWrites.values()]);
      if (this.#ledger.due(Infinity).length === 0) return;
      await this.#checkpointDue();
    }
  }

  async #ensureLoaded(topic: string, partition: number, agentIds: string[]): Promise<void> {
    const missing = agentIds.filter((a) => !this.#cached.has(a));
    if (missing.length > 0) {
      const epoch = this.#ledger.epochOf(partition);
      // Read with the covered offset: states another writer stored meanwhile fail the batch (retried from Redis).
      const states = await this.#store!.loadAgents(topic, partition, missing, this.#ledger.storedOffsets(partition));
      if (epoch !== this.#ledger.epochOf(partition)) return; // dropped meanwhile: the caller leaves the batch
      for (const [agentId, loaded] of states) {
        if (loaded === null) continue;
        this.#o.engine.importAgent(agentId, loaded.state);
        this.#ledger.loaded(partition, agentId, loaded.coveredOffset);
      }
    }
    this.#cached.touch(partition, agentIds);
    this.metrics.agentsCached.set(this.#cached.size);
  }

  #evictIfNeeded(): void {
    // An agent with pending changes, or in a checkpoint not yet written, stays: its state is not in Redis yet.
    this.#cached.trim(this.#o.maxCachedAgents ?? 200_000, (agentId, partition) => this.#ledger.unsaved(agentId, partition));
  }

  /**
   * Another writer checkpointed the partition (a load or a write found a covered offset this instance did not
   * expect): its progress here is dropped, and if the partition is still ours it is read again from just after what
   * Redis covers. kafkajs would go on from the last offset resolved here, which may be past it: the records between
   * would be in neither the stored state nor the state rebuilt from it.
   */
  #stateMoved(err: StateMovedError): void {
    const { topic, partition, found } = err;
    this.#dropPartitions([partition], 'moved');
    const assigned = this.#ledger.assigned.includes(partition);
    if (assigned) this.#consumer?.seek({ topic, partition, offset: (found + 1n).toString() });
    this.#o.logger.warn({ topic, partition, found: String(found), expected: err.expected.map(String), assigned }, 'partition state written by another instance; its progress here is dropped and it is read again from the stored state');
  }

  /** Forgets the partitions' agents and uncheckpointed progress: they are re-read from their checkpoint. */
  #dropPartitions(partitions: number[], cause: 'moved' | 'failed'): void {
    if (partitions.length === 0) return;
    const dropped = new Set(partitions);
    for (const p of dropped) {
      const unsaved = this.#ledger.drop(p);
      if (unsaved > 0) this.metrics.droppedProgress.inc({ cause }, unsaved);
    }
    this.#cached.dropPartitions(dropped);
    this.metrics.agentsCached.set(this.#cached.size);
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

  /** Stops once: let the batches in hand finish, checkpoint and commit what they did, then disconnect. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const wasRunning = this.#running;
      this.#running = false;
      if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
      await this.#health?.stop();
      if (wasRunning) await this.#checkpointAll();
      await this.#consumer?.disconnect().catch(() => undefined);
      await this.#producer?.disconnect().catch(() => undefined);
      await this.#verifier?.close();
      await this.#redis?.quit().catch(() => undefined);
    })();
    return this.#stopping;
  }
}


const DLQ_REQUEST_BYTES = 512 * 1024;
/** Longest run of snapshot work in one event-loop tick during a checkpoint. */
const SNAPSHOT_SLICE_MS = 4;

function chunkBySize(messages: Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = (m.value ? (m.value as Buffer).length : 0) + headerBytes(m.headers).bytes + 200;
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
