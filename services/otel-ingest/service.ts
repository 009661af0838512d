/**
 * otel-ingest: watches agents that already emit OpenTelemetry GenAI spans, without our SDK. Two ways
 * in, one mapping (shared/ingest), one way out (EventWriter): attested AgentActionEvents on
 * agent.events, signed with the keyring entry attester:otel-ingest, and refusals on the DLQ.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { WardenConfig } from '../../shared/config/index.js';
import { ConfigError } from '../../shared/errors/index.js';
import { createKafka, createProducer, provisionTopics, type Producer } from '../../shared/kafka/index.js';
import { loadToolActions, type ToolActions } from '../../shared/ingest/toolActions.js';
import { Senders, type Sender } from '../../shared/ingest/senders.js';
import { ATTESTER_NAME, type SpanMappingOptions } from '../../shared/ingest/spanToEvent.js';
import type { OtlpSpan } from '../../shared/ingest/otlp/spans.js';
import type { Logger } from '../../shared/logging/index.js';
import { Registry } from '../../shared/metrics/index.js';
import { createRegistry, registerSchemas } from '../../shared/registry/index.js';
import { ATTESTER_PREFIX, type Keyring } from '../../shared/signing/index.js';
import { CollectorTopic } from './collectorTopic.js';
import { EventWriter, QueueFullError } from './eventWriter.js';
import { Backpressure, createReceiver } from './httpReceiver.js';
import { otelIngestMetrics, type OtelIngestMetrics } from './metrics.js';
import { mapSpans, refusalMessage } from './spanBatch.js';

export interface OtelIngestOptions {
  config: WardenConfig;
  logger: Logger;
  /** Must hold attester:otel-ingest; agents' own keys are not needed. */
  keyring: Keyring;
  /** OTLP/HTTP senders; default: config.otelIngest.http.tokensFile. Required when the receiver is enabled. */
  senders?: Senders;
  toolActions?: ToolActions;
  metrics?: Registry;
}

export class OtelIngestService {
  readonly registry: Registry;
  readonly #o: OtelIngestOptions;
  readonly #metrics: OtelIngestMetrics;
  readonly #senders: Senders | null;
  readonly #mapping: Omit<SpanMappingOptions, 'sender'>;
  readonly #producer: Producer;
  readonly #kafka;
  #writer: EventWriter | null = null;
  #server: Server | null = null;
  #topic: CollectorTopic | null = null;
  #ready = false;
  #stopping: Promise<void> | null = null;

  constructor(options: OtelIngestOptions) {
    const c = options.config.otelIngest;
    if (!options.keyring.activeKid(`${ATTESTER_PREFIX}${ATTESTER_NAME}`)) {
      throw new ConfigError([`keyring: no key for ${ATTESTER_PREFIX}${ATTESTER_NAME} (otel-ingest signs the events it attests with it; the detector verifies with the same entry)`]);
    }
    this.#senders = options.senders ?? (c.http.tokensFile ? Senders.load(c.http.tokensFile) : null);
    if (c.http.enabled && !this.#senders) {
      throw new ConfigError(['otelIngest.http.tokensFile: required while the OTLP/HTTP receiver is enabled (every sender needs a token; WARDEN_OTEL_TOKENS_FILE), or set otelIngest.http.enabled: false']);
    }
    this.#o = options;
    this.registry = options.metrics ?? new Registry();
    this.#metrics = otelIngestMetrics(this.registry);
    this.#mapping = { identity: c.identity, toolActions: options.toolActions ?? loadToolActions(c.toolActionsFile), maxTextLength: c.maxTextLength };
    this.#kafka = createKafka(options.config, options.logger, 'otel-ingest');
    this.#producer = createProducer(this.#kafka);
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** The port the receiver listens on (the configured one, or the one chosen for port 0). */
  get port(): number | null {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : null;
  }

  async start(): Promise<void> {
    const { config, logger } = this.#o;
    await provisionTopics(this.#kafka, config);
    const ids = await registerSchemas(createRegistry(config), config);
    await this.#producer.connect();
    this.#writer = new EventWriter({ producer: this.#producer, config, keyring: this.#o.keyring, schemaId: ids.events, capacity: config.otelIngest.queueCapacity, logger, metrics: this.#metrics });
    if (config.otelIngest.http.enabled && this.#senders) {
      const http = config.otelIngest.http;
      this.#server = createReceiver({ senders: this.#senders, maxBodyBytes: http.maxBodyBytes, retryAfterSeconds: http.retryAfterSeconds, metrics: this.#metrics, logger, ingest: (spans, sender) => this.#ingestHttp(spans, sender) });
      await new Promise<void>((resolve, reject) => {
        this.#server!.once('error', reject);
        this.#server!.listen(http.port, http.host, () => resolve());
      });
      logger.info({ host: http.host, port: this.port, senders: this.#senders.size }, 'OTLP/HTTP receiver listening');
    }
    if (config.otelIngest.kafka.enabled) {
      this.#topic = new CollectorTopic({ kafka: this.#kafka, config, groupId: config.otelIngest.kafka.groupId, writer: this.#writer, mapping: this.#mapping, metrics: this.#metrics, logger });
      await this.#topic.start();
      logger.info({ topic: config.topics.otlpSpans.name, encoding: config.otelIngest.kafka.encoding }, 'reading the Collector topic');
    }
    this.#ready = true;
  }

  async #ingestHttp(spans: OtlpSpan[], sender: Sender): Promise<{ rejected: number; message: string }> {
    const mapped = mapSpans(spans, sender, this.#mapping, { config: this.#o.config, source: { topic: `otlp-http:${sender.name}` }, nowMs: Date.now() });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#writer!.publish(mapped.events, mapped.deadLetters),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Backpressure(`Kafka did not acknowledge within ${this.#o.config.otelIngest.ackTimeoutMs} ms (the spans stay queued and will be sent; a retry is recognisable by its eventIds)`)), this.#o.config.otelIngest.ackTimeoutMs);
        }),
      ]);
    } catch (err) {
      const refusal = err instanceof QueueFullError ? new Backpressure(err.message) : err;
      if (refusal instanceof Backpressure) this.#metrics.backpressure.inc({ path: 'http' });
      throw refusal;
    } finally {
      clearTimeout(timer);
    }
    this.#metrics.spans.inc({ path: 'http', result: 'accepted' }, mapped.events.length);
    this.#metrics.spans.inc({ path: 'http', result: 'ignored' }, mapped.ignored);
    this.#metrics.spans.inc({ path: 'http', result: 'rejected' }, mapped.refusals.length);
    for (const r of mapped.refusals) this.#metrics.rejections.inc({ path: 'http', reason: r.reason });
    return { rejected: mapped.refusals.length, message: refusalMessage(mapped.refusals) };
  }

  /** Once: stop taking requests, stop consuming, send what is queued, disconnect. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#ready = false;
      if (this.#server) {
        const server = this.#server;
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
      }
      await this.#topic?.stop();
      await this.#writer?.close();
      await this.#producer.disconnect();
    })();
    return this.#stopping;
  }
}
