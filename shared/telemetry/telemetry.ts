/**
 * The agent SDK: `createAgentTelemetry()` returns an object that emits signed,
 * schema-checked action events and obeys the kill switch.
 *
 *   emit(action)  validate -> complete (UUIDv7, event time, seq) -> Avro encode
 *                 through the registry -> HMAC sign -> bounded buffer
 *   pump          batches of up to maxBatchSize, after lingerMs, acks=-1, retried;
 *                 a failed batch goes back to the front of the buffer
 *   guard(cap,fn) refuses while quarantined / the capability is throttled
 */
import { v7 as uuidv7 } from 'uuid';
import { loadConfig, type WardenConfig } from '../config/index.js';
import { WardenError } from '../errors/index.js';
import { createKafka, createProducer, type KafkaClient, type Producer } from '../kafka/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { counter, type Registry } from '../metrics/index.js';
import { createRegistry, registerSchema, subjectFor, type SchemaRegistry } from '../registry/index.js';
import type { AgentActionEvent } from '../schemas/generated.js';
import { ATTESTER_PREFIX, COMMAND_REJECTIONS, PROVENANCE_ATTRIBUTE, signAttestedHeaders, signHeaders, type Keyring } from '../signing/index.js';
import { buildEvent, type ActionInput } from './action.js';
import { BoundedBuffer, type OverflowPolicy } from './buffer.js';
import { KillSwitch, type IgnoredCommands, type KillSwitchOptions, type StateListener } from './killSwitch.js';
import type { AgentState, Decision } from './killSwitchState.js';
import { SequenceCounter } from './sequence.js';

export interface TelemetryOptions {
  agentId: string;
  agentRole: string;
  tenantId?: string;
  keyring: Keyring;
  /** Defaults to loadConfig(): brokers, registry and topic names. */
  config?: WardenConfig;
  kafka?: KafkaClient;
  registry?: SchemaRegistry;
  logger?: Logger;
  metrics?: Registry;
  /** Wait this long for more events before sending a batch (default 10 ms). */
  lingerMs?: number;
  /** Most events per produce request (default 500). */
  maxBatchSize?: number;
  /** Events held while waiting to be sent (default 10,000). */
  bufferCapacity?: number;
  /** When the buffer is full: wait for room (default) or drop the oldest, counted. */
  overflow?: OverflowPolicy;
  /** Text excerpts are cut to this many characters and marked textTruncated (default 1,024). */
  maxTextLength?: number;
  /** false to run without following agent.quarantine (emit only). */
  killSwitch?: false | KillSwitchOptions;
  /**
   * A Warden component speaking for the agent (mcp-gateway, otel-ingest): events are signed with the keyring
   * entry `attester:<name>` and carry `warden.provenance = <name>` inside the signed bytes; the agent's own key is not needed.
   */
  attester?: string;
}

export interface TelemetryStats {
  emitted: number;
  sent: number;
  dropped: number;
  sendFailures: number;
  buffered: number;
  /** Isolation commands the kill switch did not apply, by reason (all 0 without a kill switch). */
  commandsIgnored: IgnoredCommands;
}

interface Pending { value: Buffer; headers: Record<string, string>; eventId: string }

export interface AgentTelemetry {
  emit(action: ActionInput): Promise<AgentActionEvent>;
  flush(): Promise<void>;
  close(options?: { timeoutMs?: number }): Promise<void>;
  guard<T>(capability: string, fn: () => T | Promise<T>): Promise<T>;
  check(capability: string): Decision;
  state(): AgentState;
  onStateChange(listener: StateListener): () => void;
  stats(): TelemetryStats;
}

export async function createAgentTelemetry(options: TelemetryOptions): Promise<AgentTelemetry> {
  const t = new Telemetry(options);
  await t.start();
  return t;
}

class Telemetry implements AgentTelemetry {
  readonly #o: Required<Pick<TelemetryOptions, 'lingerMs' | 'maxBatchSize' | 'maxTextLength'>> & TelemetryOptions;
  readonly #config: WardenConfig;
  readonly #kafka: KafkaClient;
  readonly #registry: SchemaRegistry;
  readonly #logger: Logger;
  readonly #producer: Producer;
  readonly #buffer: BoundedBuffer<Pending>;
  readonly #seq = new SequenceCounter();
  readonly #killSwitch: KillSwitch | null;
  readonly #metrics;
  #schemaId = 0;
  #emitted = 0;
  #sent = 0;
  #sendFailures = 0;
  #lingerTimer: NodeJS.Timeout | null = null;
  #pumping: Promise<void> | null = null;
  #closed = false;

  constructor(options: TelemetryOptions) {
    const signer = options.attester ? `${ATTESTER_PREFIX}${options.attester}` : options.agentId;
    if (!options.keyring.activeKid(signer)) {
      throw new WardenError('config.invalid', `the keyring has no signing key for ${options.attester ? 'attester' : 'agent'} ${signer}`);
    }
    this.#o = { lingerMs: 10, maxBatchSize: 500, maxTextLength: 1024, ...options };
    this.#config = options.config ?? loadConfig();
    this.#logger = (options.logger ?? createLogger('agent-telemetry', { level: this.#config.logging.level })).child({ agentId: options.agentId });
    this.#kafka = options.kafka ?? createKafka(this.#config, this.#logger, 'sdk');
    this.#registry = options.registry ?? createRegistry(this.#config);
    this.#producer = createProducer(this.#kafka);
    const labels = { agent_id: options.agentId };
    this.#metrics = {
      emitted: counter('warden_sdk_events_emitted_total', 'Events accepted by emit()', ['agent_id'], options.metrics).labels(labels),
      sent: counter('warden_sdk_events_sent_total', 'Events acknowledged by Kafka', ['agent_id'], options.metrics).labels(labels),
      dropped: counter('warden_sdk_events_dropped_total', 'Events dropped because the buffer was full (drop-oldest) or close() timed out', ['agent_id'], options.metrics).labels(labels),
      failures: counter('warden_sdk_send_failures_total', 'Produce requests that failed after retries (their events are retried)', ['agent_id'], options.metrics).labels(labels),
    };
    this.#buffer = new BoundedBuffer<Pending>(options.bufferCapacity ?? 10_000, options.overflow ?? 'block', (dropped, total) => {
      this.#metrics.dropped.inc();
      // Every drop is counted; the log line is per power of two so a flood cannot flood the log too.
      if ((total & (total - 1)) === 0) this.#logger.warn({ droppedEventId: dropped.eventId, droppedTotal: total }, 'telemetry buffer full: dropped the oldest event');
    });
    this.#killSwitch = options.killSwitch === false ? null : new KillSwitch(options.agentId, { kafka: this.#kafka, registry: this.#registry, config: this.#config, logger: this.#logger, metrics: options.metrics }, options.killSwitch ?? {});
  }

  async start(): Promise<void> {
    // Retries the lost race of two processes creating the subject at once (two gateways starting together).
    const { id } = await registerSchema(this.#registry, 'AgentActionEvent', subjectFor(this.#config, 'events'));
    this.#schemaId = id;
    await this.#producer.connect();
    await this.#killSwitch?.start();
  }

  async emit(action: ActionInput): Promise<AgentActionEvent> {
    if (this.#closed) throw new WardenError('client.closed', 'emit() after close()');
    const now = Date.now();
    const event = buildEvent(
      { agentId: this.#o.agentId, agentRole: this.#o.agentRole, tenantId: this.#o.tenantId ?? 'default' },
      action,
      { maxTextLength: this.#o.maxTextLength, eventId: uuidv7(), seq: this.#seq.next(), nowMs: now },
    );
    const attester = this.#o.attester;
    if (attester) event.attributes[PROVENANCE_ATTRIBUTE] = attester;
    const value = await this.#registry.encode(this.#schemaId, event);
    const headers = attester ? signAttestedHeaders(this.#o.keyring, attester, value) : signHeaders(this.#o.keyring, this.#o.agentId, value);
    await this.#buffer.push({ value, headers, eventId: event.eventId });
    this.#emitted += 1;
    this.#metrics.emitted.inc();
    this.#schedule();
    return event;
  }

  #schedule(): void {
    if (this.#buffer.size >= this.#o.maxBatchSize) {
      void this.#pump();
    } else if (!this.#lingerTimer) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = null;
        void this.#pump();
      }, this.#o.lingerMs);
    }
  }

  /**
   * One sender at a time keeps one agent's events in order. The sender is created only when there is
   * something to send, and forgets itself in a `.finally` (always after the assignment): an async body that
   * finished synchronously on an empty buffer used to clear #pumping before `??=` stored its settled promise,
   * which then stood for a sender forever: no event was sent again and flush() spun on it.
   */
  #pump(): Promise<void> {
    if (!this.#pumping && this.#buffer.size > 0) {
      this.#pumping = this.#drain().finally(() => {
        this.#pumping = null;
      });
    }
    return this.#pumping ?? Promise.resolve();
  }

  async #drain(): Promise<void> {
    let backoffMs = 100;
    while (this.#buffer.size > 0) {
      const batch = this.#buffer.take(this.#o.maxBatchSize);
      try {
        await this.#producer.send({
          topic: this.#config.topics.events.name,
          acks: -1,
          messages: batch.map((p) => ({ key: this.#o.agentId, value: p.value, headers: p.headers })),
        });
        this.#sent += batch.length;
        this.#metrics.sent.inc(batch.length);
        backoffMs = 100;
      } catch (err) {
        this.#sendFailures += 1;
        this.#metrics.failures.inc();
        this.#buffer.unshift(batch);
        this.#logger.error({ err: (err as Error).message, events: batch.length, retryInMs: backoffMs }, 'sending telemetry failed; will retry');
        if (this.#closed) throw err;
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  async flush(): Promise<void> {
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    while (this.#buffer.size > 0 || this.#pumping) await this.#pump();
  }

  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    const timeoutMs = options.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      this.flush().then(() => true, () => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    if (!flushed) {
      const lost = this.#buffer.take(Number.MAX_SAFE_INTEGER).length;
      this.#metrics.dropped.inc(lost);
      this.#logger.error({ lost, timeoutMs }, 'close(): events could not be sent before the timeout and are lost');
    }
    await this.#killSwitch?.stop();
    await this.#producer.disconnect();
  }

  guard<T>(capability: string, fn: () => T | Promise<T>): Promise<T> {
    if (!this.#killSwitch) return Promise.resolve().then(fn);
    return this.#killSwitch.guard(capability, fn);
  }

  check(capability: string): Decision {
    if (!this.#killSwitch) return { allowed: true, state: { mode: 'ACTIVE', revokedCapabilities: [], reason: 'kill switch disabled', commandId: null, expiresAt: null } };
    return this.#killSwitch.check(capability);
  }

  state(): AgentState {
    return this.check('*').state;
  }

  onStateChange(listener: StateListener): () => void {
    return this.#killSwitch?.onStateChange(listener) ?? (() => undefined);
  }

  stats(): TelemetryStats {
    const commandsIgnored = this.#killSwitch?.ignored() ?? (Object.fromEntries(COMMAND_REJECTIONS.map((r) => [r, 0])) as IgnoredCommands);
    return { emitted: this.#emitted, sent: this.#sent, dropped: this.#buffer.dropped, sendFailures: this.#sendFailures, buffered: this.#buffer.size, commandsIgnored };
  }
}
