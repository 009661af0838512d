/**
 * Follows agent.quarantine (compacted: the latest command per agent is its
 * state) from the earliest offset, for one agent and the fleet key `*`, so a
 * restarted agent learns it is still quarantined. Uses a consumer group of
 * its own that never commits: every start reads the whole (compacted) feed.
 *
 * Anyone who can write the topic is not trusted: a record is applied only if
 * it is signed by a known command key for its record key, names the agent its
 * key names, and is not older than the state held for that key. Everything
 * else is ignored, counted by kind (stats and a metric) and logged once per kind.
 */
import { randomUUID } from 'node:crypto';
import type { WardenConfig } from '../config/index.js';
import { AgentQuarantinedError } from '../errors/index.js';
import type { Consumer, KafkaClient } from '../kafka/index.js';
import type { Logger } from '../logging/index.js';
import { counter, type Registry } from '../metrics/index.js';
import type { SchemaRegistry } from '../registry/index.js';
import type { QuarantineCommand } from '../schemas/generated.js';
import { COMMAND_REJECTIONS, acceptCommand, loadCommandKeyset, type CommandKeyset, type CommandRejection } from '../signing/index.js';
import { FLEET_KEY, KillSwitchState, sameState, type AgentState } from './killSwitchState.js';

export interface KillSwitchOptions {
  /** Treat the agent as quarantined when the feed could not be read for this long (null: fail open). */
  failClosedAfterMs?: number | null;
  /** How long start() waits to read the feed to its end before giving up (the agent stays STARTING = refused). */
  catchUpTimeoutMs?: number;
  /** Public keys that verify commands; default: from the config (commandSigning.*, else the dev keypair). */
  commandKeys?: CommandKeyset;
}

export type IgnoredCommands = Record<CommandRejection, number>;

export type StateListener = (state: AgentState, previous: AgentState) => void;

export class KillSwitch {
  readonly #state = new KillSwitchState();
  readonly #listeners = new Set<StateListener>();
  #consumer: Consumer | null = null;
  #last: AgentState;
  #lastFetchOk = Date.now();
  #timer: NodeJS.Timeout | null = null;
  #expiryTimer: NodeJS.Timeout | null = null;
  readonly #keys: CommandKeyset;
  readonly #ignored = Object.fromEntries(COMMAND_REJECTIONS.map((r) => [r, 0])) as IgnoredCommands;
  readonly #loggedKinds = new Set<CommandRejection>();
  readonly #ignoredMetric;

  constructor(
    private readonly agentId: string,
    private readonly deps: { kafka: KafkaClient; registry: SchemaRegistry; config: WardenConfig; logger: Logger; metrics?: Registry },
    private readonly options: KillSwitchOptions = {},
  ) {
    this.#last = this.#state.effective(Date.now());
    this.#keys = options.commandKeys ?? loadCommandKeyset(deps.config, deps.logger);
    this.#ignoredMetric = counter('warden_sdk_commands_ignored_total', 'Isolation commands the kill switch did not apply, by reason', ['agent_id', 'reason'], deps.metrics);
  }

  async start(): Promise<void> {
    const { kafka, config, logger, registry } = this.deps;
    const topic = config.topics.quarantine.name;
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map<number, bigint>();
    try {
      for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high));
    } finally {
      await admin.disconnect();
    }
    const pending = new Set(ends.keys());
    let markCaughtUp: () => void = () => undefined;
    const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
    const checkCaughtUp = () => {
      if (pending.size === 0 && !this.#state.caughtUp) {
        this.#state.caughtUp = true;
        markCaughtUp();
        this.#publish();
      }
    };

    const consumer = kafka.consumer({ groupId: `warden-killswitch-${this.agentId}-${randomUUID()}`, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    this.#consumer = consumer;
    consumer.on(consumer.events.FETCH, () => {
      this.#lastFetchOk = Date.now();
      if (this.#state.feedLost) {
        this.#state.feedLost = false;
        logger.info({ agentId: this.agentId }, 'quarantine feed readable again');
        this.#publish();
      }
    });
    consumer.on(consumer.events.CRASH, (e) => logger.error({ agentId: this.agentId, err: e.payload.error?.message }, 'quarantine feed consumer crashed; kafkajs restarts it'));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const key = m.key?.toString();
          if (key !== this.agentId && key !== FLEET_KEY) continue;
          const verdict = await acceptCommand<QuarantineCommand>(this.#keys, { key, value: m.value, headers: m.headers }, (v) => registry.decode(v));
          if (!verdict.ok) this.#ignore(verdict.reason, verdict.detail, batch.partition, m.offset);
          else if (this.#state.apply(verdict.command) === 'stale') {
            this.#ignore('stale', `issuedAt ${verdict.command.issuedAt} is older than the command held for key ${key}`, batch.partition, m.offset);
          }
        }
        const end = ends.get(batch.partition);
        if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition);
        checkCaughtUp();
        this.#publish();
      },
    });
    checkCaughtUp();

    const failAfter = this.options.failClosedAfterMs ?? null;
    if (failAfter !== null) {
      this.#timer = setInterval(() => {
        if (!this.#state.feedLost && Date.now() - this.#lastFetchOk > failAfter) {
          this.#state.feedLost = true;
          logger.error({ agentId: this.agentId, failClosedAfterMs: failAfter }, 'quarantine feed unreadable: failing closed');
          this.#publish();
        }
      }, Math.min(1000, Math.max(50, failAfter / 4)));
      this.#timer.unref();
    }

    const timeoutMs = this.options.catchUpTimeoutMs ?? 15_000;
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timeout = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([caughtUp.then(() => 'ok' as const), timedOut]);
    clearTimeout(timeout);
    if (result === 'timeout') logger.error({ agentId: this.agentId, timeoutMs }, 'quarantine feed not read to its end in time: guarded calls are refused until it is');
  }

  state(): AgentState {
    return this.#state.effective(Date.now());
  }

  check(capability: string) {
    return this.#state.check(capability, Date.now());
  }

  /** Runs fn unless the capability is refused; then throws AgentQuarantinedError. */
  async guard<T>(capability: string, fn: () => T | Promise<T>): Promise<T> {
    this.assertAllowed(capability);
    return fn();
  }

  assertAllowed(capability: string): void {
    const d = this.check(capability);
    if (!d.allowed) throw new AgentQuarantinedError(this.agentId, capability, d.state.mode, d.state.reason || d.matched || 'refused');
  }

  /** Records not applied, by reason, since start. */
  ignored(): IgnoredCommands {
    return { ...this.#ignored };
  }

  onStateChange(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    await this.#consumer?.disconnect();
    this.#consumer = null;
  }

  /** Every ignored record is counted; the log gets one line per kind, so a flood of forgeries cannot flood it. */
  #ignore(reason: CommandRejection, detail: string, partition: number, offset: string): void {
    this.#ignored[reason] += 1;
    this.#ignoredMetric.inc({ agent_id: this.agentId, reason });
    if (this.#loggedKinds.has(reason)) return;
    this.#loggedKinds.add(reason);
    this.deps.logger.warn(
      { agentId: this.agentId, reason, detail, partition, offset },
      'isolation command ignored (this kind is logged once; every one is counted in stats().commandsIgnored and warden_sdk_commands_ignored_total)',
    );
  }

  /** Tells listeners about a change, and wakes up again when an isolation expires on its own. */
  #publish(): void {
    const now = Date.now();
    const next = this.#state.effective(now);
    if (!sameState(next, this.#last)) {
      const previous = this.#last;
      this.#last = next;
      for (const l of this.#listeners) {
        try {
          l(next, previous);
        } catch (err) {
          this.deps.logger.error({ err: (err as Error).message }, 'onStateChange listener threw');
        }
      }
    }
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    const expiry = this.#state.nextExpiry(now);
    if (expiry !== null) {
      this.#expiryTimer = setTimeout(() => this.#publish(), Math.min(expiry - now + 1, 2 ** 31 - 1));
      this.#expiryTimer.unref();
    }
  }
}
