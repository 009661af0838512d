/**
 * The SIEM forwarder: security.alerts and agent.quarantine in; OCSF JSON on
 * siem.alerts and every enabled sink out. PII is redacted first. At least
 * once: a batch's offsets are committed only after siem.alerts acknowledged it
 * and every sink delivered or dead-lettered each alert; a sink that is down
 * is retried with backoff (the batch waits), so it loses nothing. Each sink
 * gets only alerts at or above its `minSeverity` (siem.alerts gets all); the
 * rest are skipped here, counted per sink.
 */
import { dlqMessage, type DeadLetterReason } from '../../shared/kafka/deadLetter.js';
import { randomUUID } from 'node:crypto';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer, type Consumer, type EachBatchPayload, type Message, type Producer } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { counter, Registry } from '../../shared/metrics/index.js';
import { createRegistry, registerSchemas, type SchemaRegistry } from '../../shared/registry/index.js';
import { SeverityValues, type Alert, type QuarantineCommand, type Severity } from '../../shared/schemas/generated.js';
import { acceptCommand, loadCommandKeyset, type CommandKeyset } from '../../shared/signing/index.js';
import { DEFAULT_REDACTIONS, commandToOcsf, compileRedactions, redactAlert, toOcsf, type FormattedAlert, type RedactionPattern, type Sink } from '../../shared/siem/index.js';

export interface ForwarderOptions {
  config: WardenConfig;
  logger: Logger;
  sinks: Sink[];
  groupId?: string;
  metrics?: Registry;
  /** Longest wait between two tries of a sink that is down (default 10 s). */
  maxBackoffMs?: number;
}

export class SiemForwarder {
  readonly registry: Registry;
  readonly #o: ForwarderOptions;
  readonly #redactions: RedactionPattern[];
  readonly #metrics;
  #schemaRegistry!: SchemaRegistry;
  #commandKeys!: CommandKeyset;
  #producer!: Producer;
  #consumer: Consumer | null = null;
  #running = false;

  constructor(o: ForwarderOptions) {
    this.#o = o;
    this.#redactions = [...DEFAULT_REDACTIONS, ...compileRedactions(o.config.siem.redactions)];
    this.registry = o.metrics ?? new Registry();
    this.#metrics = {
      forwarded: counter('warden_siem_records_total', 'Records written to siem.alerts, by kind', ['kind'], this.registry),
      commandsRejected: counter('warden_siem_commands_rejected_total', 'Records on agent.quarantine not signed by the responder (dead-lettered, not forwarded), by reason', ['reason'], this.registry),
      delivered: counter('warden_siem_sink_delivered_total', 'Alerts a sink accepted', ['sink'], this.registry),
      deadLettered: counter('warden_siem_sink_dead_lettered_total', 'Alerts a sink refused for good (sent to the DLQ)', ['sink'], this.registry),
      retries: counter('warden_siem_sink_retries_total', 'Sends retried because a sink was down or busy', ['sink'], this.registry),
      belowMinSeverity: counter('warden_siem_sink_skipped_total', 'Alerts not sent to a sink because they are below its minSeverity', ['sink'], this.registry),
    };
  }

  get ready(): boolean {
    return this.#running;
  }

  async start(): Promise<void> {
    const { config, logger } = this.#o;
    const kafka = createKafka(config, logger, `siem-${randomUUID().slice(0, 6)}`);
    this.#schemaRegistry = createRegistry(config);
    this.#commandKeys = loadCommandKeyset(config, logger);
    await registerSchemas(this.#schemaRegistry, config);
    this.#producer = createProducer(kafka);
    await this.#producer.connect();
    const consumer = kafka.consumer({ groupId: this.#o.groupId ?? 'warden-siem-forwarder', maxWaitTimeInMs: 100 });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [config.topics.alerts.name, config.topics.quarantine.name], fromBeginning: true });
    await consumer.run({ eachBatchAutoResolve: false, eachBatch: (p) => this.#onBatch(p) });
    this.#running = true;
    logger.info({ sinks: this.#o.sinks.map((s) => s.name) }, 'siem forwarder consuming');
  }

  async #onBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning }: EachBatchPayload): Promise<void> {
    const { config, logger } = this.#o;
    const isAlerts = batch.topic === config.topics.alerts.name;
    const records: Message[] = [];
    const formatted: FormattedAlert[] = [];
    const originals = new Map<string, Buffer>();
    for (const m of batch.messages) {
      if (!isAlerts) {
        // Only commands the responder signed are what was done about an agent; anything else on the topic is
        // someone else's claim and must not reach the SOC as a remediation.
        const accepted = await acceptCommand<QuarantineCommand>(this.#commandKeys, { key: m.key?.toString() ?? '', value: m.value, headers: m.headers }, (v) => this.#schemaRegistry.decode(v));
        if (!accepted.ok) {
          this.#metrics.commandsRejected.inc({ reason: accepted.reason });
          await this.#deadLetter([{ key: m.key, value: m.value, reason: 'command.unverified', detail: `${accepted.reason}: ${accepted.detail}` }], batch.topic);
          continue;
        }
        const cmd = accepted.command;
        records.push({ key: cmd.agentId, value: JSON.stringify(commandToOcsf(cmd)), headers: { 'warden-command-id': cmd.commandId, 'content-type': 'application/json' } });
        continue;
      }
      if (!m.value) continue;
      let decoded: unknown;
      try {
        decoded = await this.#schemaRegistry.decode(m.value);
      } catch (err) {
        await this.#deadLetter([{ key: m.key, value: m.value, reason: 'event.undecodable', detail: (err as Error).message }], batch.topic);
        continue;
      }
      const alert = redactAlert(decoded as Alert, this.#redactions);
      const ocsf = toOcsf(alert);
      formatted.push({ alert, ocsf });
      originals.set(alert.alertId, m.value);
      records.push({ key: alert.agentId, value: JSON.stringify(ocsf), headers: { 'warden-alert-id': alert.alertId, 'content-type': 'application/json' } });
    }
    if (records.length > 0) {
      await this.#producer.send({ topic: config.topics.siem.name, acks: -1, messages: records });
      this.#metrics.forwarded.inc({ kind: isAlerts ? 'alert' : 'command' }, records.length);
    }
    // Every sink in parallel; one failing sink does not hold back the others' progress reports.
    await Promise.allSettled(this.#o.sinks.map((sink) => this.#deliver(sink, formatted, originals, heartbeat, isRunning)));
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    logger.debug({ topic: batch.topic, partition: batch.partition, records: records.length }, 'forwarded');
  }

  async #deliver(sink: Sink, batch: FormattedAlert[], originals: Map<string, Buffer>, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    let pending = atOrAbove(batch, sink.minSeverity);
    if (pending.length < batch.length) this.#metrics.belowMinSeverity.inc({ sink: sink.name }, batch.length - pending.length);
    let backoff = 200;
    while (pending.length > 0) {
      const r = await sink.send(pending).catch((err: Error) => ({ delivered: [], deadLettered: [], retry: pending.map((p) => p.alert.alertId), error: err.message }));
      this.#metrics.delivered.inc({ sink: sink.name }, r.delivered.length);
      if (r.deadLettered.length > 0) {
        this.#metrics.deadLettered.inc({ sink: sink.name }, r.deadLettered.length);
        await this.#deadLetter(r.deadLettered.map((d) => ({ key: null, value: originals.get(d.alertId) ?? null, reason: `sink.${sink.name}.rejected` as const, detail: d.reason })), this.#o.config.topics.alerts.name);
      }
      const retry = new Set(r.retry);
      pending = pending.filter((p) => retry.has(p.alert.alertId));
      if (pending.length === 0) break;
      if (!isRunning()) throw new Error(`stopping with ${pending.length} alerts not yet delivered to ${sink.name}; they will be redelivered`);
      this.#metrics.retries.inc({ sink: sink.name });
      this.#o.logger.warn({ sink: sink.name, pending: pending.length, retryInMs: backoff }, 'sink unavailable; retrying');
      await new Promise((res) => setTimeout(res, backoff));
      await heartbeat();
      backoff = Math.min(backoff * 2, this.#o.maxBackoffMs ?? 10_000);
    }
  }

  async #deadLetter(items: { key: Buffer | null; value: Buffer | null; reason: DeadLetterReason; detail: string }[], sourceTopic: string): Promise<void> {
    if (items.length === 0) return;
    await this.#producer.send({
      topic: this.#o.config.topics.dlq.name,
      acks: -1,
      messages: items.map((i) => dlqMessage({ key: i.key, value: i.value }, { topic: sourceTopic }, i.reason, i.detail, Date.now(), this.#o.config.topics.dlq.maxMessageBytes)),
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#consumer?.disconnect().catch(() => undefined);
    await this.#producer?.disconnect().catch(() => undefined);
    await Promise.all(this.#o.sinks.map((s) => s.close?.().catch(() => undefined)));
  }
}

const SEVERITY_RANK = new Map<Severity, number>(SeverityValues.map((s, i) => [s, i]));

/** The alerts at or above `min` (all when unset). */
function atOrAbove(batch: FormattedAlert[], min: Severity | undefined): FormattedAlert[] {
  const floor = min ? (SEVERITY_RANK.get(min) ?? 0) : 0;
  return floor === 0 ? batch : batch.filter((f) => (SEVERITY_RANK.get(f.alert.severity) ?? 0) >= floor);
}
