/**
 * Feeds the console: one consumer (group `<responder group>-console`) reads
 * security.alerts, agent.quarantine and agent.events, writes what the console
 * shows into the ConsoleStore, and tells listeners (the SSE hub) what changed.
 *
 * agent.events is read for arrival times only: records are not decoded (the
 * detector does that); last seen is the Kafka record time of the latest record
 * keyed by the agent, signed or not. Commands are shown only when their
 * signature verifies, exactly as the SDKs apply them.
 */
import type { WardenConfig } from '../../shared/config/index.js';
import type { Consumer, KafkaClient, KafkaMessage } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import type { SchemaRegistry } from '../../shared/registry/index.js';
import type { Alert, QuarantineCommand } from '../../shared/schemas/generated.js';
import { acceptCommand, loadCommandKeyset, type CommandKeyset } from '../../shared/signing/index.js';
import type { ConsoleStore, StoredAlert } from './consoleStore.js';

export type FeedChange = { kind: 'alert'; alerts: Alert[] } | { kind: 'command'; agentIds: string[] } | { kind: 'seen'; agentIds: string[] };

export class ConsoleFeed {
  #consumer: Consumer | null = null;
  readonly #listeners = new Set<(c: FeedChange) => void>();
  readonly #keys: CommandKeyset;

  constructor(private readonly deps: { kafka: KafkaClient; registry: SchemaRegistry; config: WardenConfig; store: ConsoleStore; logger: Logger; groupId: string }) {
    this.#keys = loadCommandKeyset(deps.config, deps.logger);
  }

  onChange(listener: (c: FeedChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    const { kafka, config, groupId } = this.deps;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    this.#consumer = consumer;
    await consumer.connect();
    const { alerts, quarantine, events } = config.topics;
    for (const t of [alerts.name, quarantine.name, events.name]) await consumer.subscribe({ topic: t, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (batch.topic === events.name) await this.#seen(batch.messages);
        else if (batch.topic === alerts.name) await this.#alerts(batch.messages);
        else await this.#commands(batch.messages);
      },
    });
  }

  async #seen(messages: KafkaMessage[]): Promise<void> {
    const seen = new Map<string, number>();
    for (const m of messages) {
      const agentId = m.key?.toString();
      if (agentId) seen.set(agentId, Math.max(seen.get(agentId) ?? 0, Number(m.timestamp)));
    }
    await this.deps.store.recordSeen(seen);
    this.#emit({ kind: 'seen', agentIds: [...seen.keys()] });
  }

  async #alerts(messages: KafkaMessage[]): Promise<void> {
    const stored: StoredAlert[] = [];
    for (const m of messages) {
      if (!m.value) continue;
      try {
        stored.push({ alert: (await this.deps.registry.decode(m.value)) as Alert, receivedAt: Date.now() });
      } catch (err) {
        this.deps.logger.warn({ offset: m.offset, err: (err as Error).message }, 'console: undecodable alert not shown');
      }
    }
    await this.deps.store.recordAlerts(stored);
    if (stored.length) this.#emit({ kind: 'alert', alerts: stored.map((s) => s.alert) });
  }

  async #commands(messages: KafkaMessage[]): Promise<void> {
    const agentIds: string[] = [];
    for (const m of messages) {
      const key = m.key?.toString();
      if (!key) continue;
      const verdict = await acceptCommand<QuarantineCommand>(this.#keys, { key, value: m.value, headers: m.headers }, (v) => this.deps.registry.decode(v));
      if (!verdict.ok) {
        this.deps.logger.warn({ offset: m.offset, reason: verdict.reason }, 'console: unverified command not shown');
        continue;
      }
      await this.deps.store.recordCommand(verdict.command);
      agentIds.push(verdict.command.agentId);
    }
    if (agentIds.length) this.#emit({ kind: 'command', agentIds });
  }

  #emit(change: FeedChange): void {
    for (const l of this.#listeners) l(change);
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect().catch(() => undefined);
  }
}
