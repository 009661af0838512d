/**
 * The one way out of otel-ingest: a bounded, ordered queue in front of the Kafka producer.
 *
 * publish() assigns each event its seq, encodes it (Confluent framing, Avro), signs it as attester
 * otel-ingest and queues it, all in one synchronous step; one pump sends the queue in order, so seq
 * order is send order and each agent's events reach its partition with a seq that only goes up. The
 * promise resolves once Kafka acknowledged every record of the call (acks=-1). A call that does not
 * fit in the queue is refused whole with QueueFullError (the HTTP receiver answers 503 Retry-After);
 * nothing is queued without bound and nothing is dropped: a failed send is retried with backoff.
 */
import avro from 'avsc';
import type { WardenConfig } from '../../shared/config/index.js';
import { WardenError } from '../../shared/errors/index.js';
import type { Message, Producer } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { avroSchemas, type AgentActionEvent } from '../../shared/schemas/generated.js';
import { signAttestedHeaders, type Keyring } from '../../shared/signing/index.js';
import { ATTESTER_NAME } from '../../shared/ingest/spanToEvent.js';
import { SequenceCounter } from '../../shared/telemetry/sequence.js';
import type { OtelIngestMetrics } from './metrics.js';

export class QueueFullError extends WardenError {
  constructor(wanted: number, free: number) {
    super('buffer.full', `the Kafka queue has room for ${free} records, the request needs ${wanted}`, { retriable: true });
  }
}

interface Call { pending: number; resolve(): void }
interface Item { topic: string; message: Message; call: Call }

const MAX_SEND_RECORDS = 500;

export class EventWriter {
  readonly #queue: Item[] = [];
  readonly #type = avro.Type.forSchema(avroSchemas.AgentActionEvent as unknown as avro.Schema);
  // One counter for every agent: a sequence that only goes up overall only goes up for each agent, needs
  // no per-agent memory, and (being at least the clock in microseconds) stays above itself across restarts.
  readonly #seq = new SequenceCounter();
  #pumping: Promise<void> | null = null;
  #closed = false;

  constructor(
    private readonly o: { producer: Producer; config: WardenConfig; keyring: Keyring; schemaId: number; capacity: number; logger: Logger; metrics: OtelIngestMetrics },
  ) {}

  get queued(): number {
    return this.#queue.length;
  }

  async publish(events: AgentActionEvent[], deadLetters: Message[] = []): Promise<void> {
    const n = events.length + deadLetters.length;
    if (n === 0) return;
    if (this.#closed) throw new WardenError('client.closed', 'otel-ingest is stopping');
    const free = this.o.capacity - this.#queue.length;
    if (n > free) throw new QueueFullError(n, free);
    const call: Call = { pending: n, resolve: () => undefined };
    const done = new Promise<void>((resolve) => (call.resolve = resolve));
    // Encoded and signed before anything is queued: a record that cannot be encoded fails the call whole.
    const items: Item[] = events.map((event) => {
      event.seq = this.#seq.next();
      const value = this.#encode(event);
      return { topic: this.o.config.topics.events.name, message: { key: event.agentId, value, headers: signAttestedHeaders(this.o.keyring, ATTESTER_NAME, value) }, call };
    });
    for (const message of deadLetters) items.push({ topic: this.o.config.topics.dlq.name, message, call });
    this.#queue.push(...items);
    this.o.metrics.queued.set(this.#queue.length);
    void this.#pump();
    return done;
  }

  /** Waits until everything queued so far is acknowledged (or stop() gave up). */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#pumping) await this.#pump();
  }

  /** Stops taking records; what is still queued is sent first. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #encode(event: AgentActionEvent): Buffer {
    const body = this.#type.toBuffer(event);
    const out = Buffer.allocUnsafe(body.length + 5);
    out[0] = 0;
    out.writeInt32BE(this.o.schemaId, 1);
    body.copy(out, 5);
    return out;
  }

  #pump(): Promise<void> {
    this.#pumping ??= (async () => {
      let backoffMs = 100;
      try {
        while (this.#queue.length > 0) {
          const batch = this.#queue.slice(0, MAX_SEND_RECORDS);
          const byTopic = new Map<string, Message[]>();
          for (const item of batch) {
            const list = byTopic.get(item.topic);
            if (list) list.push(item.message);
            else byTopic.set(item.topic, [item.message]);
          }
          try {
            await this.o.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
          } catch (err) {
            this.o.metrics.sendFailures.inc();
            this.o.logger.error({ err: (err as Error).message, records: batch.length, retryInMs: backoffMs }, 'sending to Kafka failed; will retry');
            await new Promise((r) => setTimeout(r, backoffMs));
            backoffMs = Math.min(backoffMs * 2, 5000);
            continue;
          }
          backoffMs = 100;
          this.#queue.splice(0, batch.length);
          this.o.metrics.queued.set(this.#queue.length);
          for (const item of batch) if (--item.call.pending === 0) item.call.resolve();
        }
      } finally {
        this.#pumping = null;
      }
    })();
    return this.#pumping;
  }
}
