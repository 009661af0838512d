/**
 * Writes QuarantineCommands to agent.quarantine (compacted, keyed by agentId)
 * and remembers active isolations in Redis, so TTL expiry survives a restart.
 * Used only by the responder (the `warden quarantine|release|kill-switch`
 * commands ask it through its API, so they meet its gate): one way to
 * isolate an agent, always audited.
 *
 * Every command is signed here (Ed25519 over kid, record key and value; see
 * shared/signing/commandRecord.ts): SDKs apply nothing else. Fleet commands
 * (agentId `*`) need a fleet-scope key; without one they fail before anything
 * is written or recorded.
 */
import type { WardenConfig } from '../../shared/config/index.js';
import { createProducer, type KafkaClient, type Producer } from '../../shared/kafka/index.js';
import { createLogger, type Logger } from '../../shared/logging/index.js';
import type { Redis } from '../../shared/redis/index.js';
import { createRegistry, registerSchemas, type SchemaIds, type SchemaRegistry } from '../../shared/registry/index.js';
import type { QuarantineCommand } from '../../shared/schemas/generated.js';
import { loadCommandSigner, signCommandRecord, type CommandSigner } from '../../shared/signing/index.js';
import type { AuditLog } from './auditLog.js';

const ACTIVE = 'responder:active';

export class Isolations {
  #producer: Producer;
  #registry: SchemaRegistry;
  #ids: SchemaIds | null = null;
  readonly #signer: CommandSigner;

  constructor(
    kafka: KafkaClient,
    private readonly config: WardenConfig,
    private readonly redis: Redis,
    private readonly audit: AuditLog,
    /** signer: default from the config (commandSigning.*, else the dev keypair). */
    options: { signer?: CommandSigner; logger?: Logger } = {},
  ) {
    this.#producer = createProducer(kafka);
    this.#registry = createRegistry(config);
    this.#signer = options.signer ?? loadCommandSigner(config, options.logger ?? createLogger('isolations', { level: config.logging.level }));
  }

  async connect(): Promise<void> {
    this.#ids = await registerSchemas(this.#registry, this.config);
    await this.#producer.connect();
  }

  /** Publishes the command (acks=-1), then records and audits it. */
  async issue(cmd: QuarantineCommand, actor: string): Promise<void> {
    const value = await this.#registry.encode(this.#ids!.quarantine, cmd);
    const headers = { 'warden-command-id': cmd.commandId, ...signCommandRecord(this.#signer, cmd.agentId, value) };
    await this.#producer.send({ topic: this.config.topics.quarantine.name, acks: -1, messages: [{ key: cmd.agentId, value, headers }] });
    if (cmd.type === 'RELEASE') await this.redis.hdel(ACTIVE, cmd.agentId);
    else await this.redis.hset(ACTIVE, cmd.agentId, JSON.stringify(cmd));
    await this.audit.append({ at: cmd.issuedAt, kind: cmd.type === 'RELEASE' ? 'release' : 'command', actor, agentId: cmd.agentId, details: { commandId: cmd.commandId, type: cmd.type, revoked: cmd.revokedCapabilities, reason: cmd.reason, alertIds: cmd.alertIds, expiresAt: cmd.expiresAt } });
  }

  /** The agent's isolation in force at `now` (null when none, or when it has expired). */
  async activeFor(agentId: string, now: number): Promise<QuarantineCommand | null> {
    const raw = await this.redis.hget(ACTIVE, agentId);
    const cmd = raw ? (JSON.parse(raw) as QuarantineCommand) : null;
    return cmd && (cmd.expiresAt === null || cmd.expiresAt > now) ? cmd : null;
  }

  async active(): Promise<QuarantineCommand[]> {
    return Object.values(await this.redis.hgetall(ACTIVE)).map((s) => JSON.parse(s) as QuarantineCommand);
  }

  async disconnect(): Promise<void> {
    await this.#producer.disconnect();
  }
}
