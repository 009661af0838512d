/**
 * The Kafka way in: the topic the OpenTelemetry Collector's kafka exporter writes (topics.otlpSpans,
 * default `otlp_spans`), one ExportTraceServiceRequest per message, `otlp_proto` (default) or
 * `otlp_json`. The topic's write ACL is the sender's authentication; otelIngest.kafka.agents says which
 * agents that sender may speak for. A message that cannot be decoded goes to the DLQ whole; refused
 * spans go one by one. Offsets are resolved only after Kafka acknowledged what they produced.
 */
import type { WardenConfig } from '../../shared/config/index.js';
import type { Consumer, EachBatchPayload, KafkaClient, Message } from '../../shared/kafka/index.js';
import { dlqMessage } from '../../shared/kafka/deadLetter.js';
import { decodeJsonRequest, decodeProtobufRequest, OtlpDecodeError } from '../../shared/ingest/otlp/decode.js';
import { agentMatcher, type Sender } from '../../shared/ingest/senders.js';
import type { SpanMappingOptions } from '../../shared/ingest/spanToEvent.js';
import type { Logger } from '../../shared/logging/index.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { QueueFullError, type EventWriter } from './eventWriter.js';
import type { OtelIngestMetrics } from './metrics.js';
import { mapSpans } from './spanBatch.js';

/** Records produced per acknowledged step: bounded memory, and offsets move along a large batch. */
const RECORDS_PER_STEP = 2000;

export class CollectorTopic {
  readonly #consumer: Consumer;
  readonly #sender: Sender;

  constructor(
    private readonly o: { kafka: KafkaClient; config: WardenConfig; groupId: string; writer: EventWriter; mapping: Omit<SpanMappingOptions, 'sender'>; metrics: OtelIngestMetrics; logger: Logger },
  ) {
    this.#consumer = o.kafka.consumer({ groupId: o.groupId, maxWaitTimeInMs: 100 });
    this.#sender = { name: `kafka:${o.config.topics.otlpSpans.name}`, mayClaim: agentMatcher(o.config.otelIngest.kafka.agents) };
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: this.o.config.topics.otlpSpans.name, fromBeginning: true });
    await this.#consumer.run({ eachBatchAutoResolve: false, eachBatch: (p) => this.#onBatch(p) });
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  async #onBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    let events: AgentActionEvent[] = [];
    let deadLetters: Message[] = [];
    let lastOffset: string | null = null;
    const step = async () => {
      if (lastOffset === null) return;
      await this.#publish(events, deadLetters, isRunning);
      resolveOffset(lastOffset);
      await heartbeat();
      events = [];
      deadLetters = [];
      lastOffset = null;
    };
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const source = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      const nowMs = Date.now();
      try {
        const value = message.value ?? Buffer.alloc(0);
        const spans = this.o.config.otelIngest.kafka.encoding === 'otlp_json' ? decodeJsonRequest(value.toString('utf8')) : decodeProtobufRequest(value);
        const mapped = mapSpans(spans, this.#sender, this.o.mapping, { config: this.o.config, source, nowMs });
        events.push(...mapped.events);
        deadLetters.push(...mapped.deadLetters);
        this.o.metrics.spans.inc({ path: 'kafka', result: 'accepted' }, mapped.events.length);
        this.o.metrics.spans.inc({ path: 'kafka', result: 'ignored' }, mapped.ignored);
        this.o.metrics.spans.inc({ path: 'kafka', result: 'rejected' }, mapped.refusals.length);
        for (const r of mapped.refusals) this.o.metrics.rejections.inc({ path: 'kafka', reason: r.reason });
        this.o.metrics.kafkaMessages.inc({ result: 'ingested' });
      } catch (err) {
        if (!(err instanceof OtlpDecodeError)) throw err;
        deadLetters.push(dlqMessage({ key: message.key, value: message.value, headers: message.headers }, source, err.reason, err.message, nowMs, this.o.config.topics.dlq.maxMessageBytes));
        this.o.metrics.kafkaMessages.inc({ result: 'dead-lettered' });
      }
      lastOffset = message.offset;
      if (events.length + deadLetters.length >= RECORDS_PER_STEP) await step();
    }
    await step();
    await commitOffsetsIfNecessary();
  }

  /** Waits for room when the queue is full (HTTP traffic may fill it): a consumer can wait, a sender cannot. */
  async #publish(events: AgentActionEvent[], deadLetters: Message[], isRunning: () => boolean): Promise<void> {
    // One message may hold more spans than the queue takes at once: send it in parts that fit.
    const part = Math.max(1, Math.min(RECORDS_PER_STEP, this.o.config.otelIngest.queueCapacity));
    for (let i = 0; i < events.length; i += part) await this.#publishPart(events.slice(i, i + part), [], isRunning);
    for (let i = 0; i < deadLetters.length; i += part) await this.#publishPart([], deadLetters.slice(i, i + part), isRunning);
  }

  async #publishPart(events: AgentActionEvent[], deadLetters: Message[], isRunning: () => boolean): Promise<void> {
    for (let waitMs = 50; ; waitMs = Math.min(waitMs * 2, 1000)) {
      try {
        await this.o.writer.publish(events, deadLetters);
        return;
      } catch (err) {
        if (!(err instanceof QueueFullError) || !isRunning()) throw err;
        this.o.metrics.backpressure.inc({ path: 'kafka' });
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }
}
