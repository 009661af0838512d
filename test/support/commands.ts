/**
 * Writes QuarantineCommand records the way the responder does: keyed by agentId, Avro through the registry,
 * signed with the command signing key the config names (the dev keypair when it names none).
 * publishRecords() writes whatever it is given, for tests that play an attacker.
 */
import { createKafka, createProducer } from '../../shared/kafka/index.js';
import { createRegistry, registerSchemas } from '../../shared/registry/index.js';
import type { WardenConfig } from '../../shared/config/index.js';
import type { QuarantineCommand } from '../../shared/schemas/generated.js';
import { loadCommandSigner, signCommandRecord, type CommandSigner } from '../../shared/signing/index.js';
import { testLogger, uniqueSuffix } from './stack.js';

export function command(agentId: string, over: Partial<QuarantineCommand> = {}): QuarantineCommand {
  return {
    commandId: `cmd-${uniqueSuffix()}`, agentId, type: 'QUARANTINE', revokedCapabilities: [], reason: 'integration test',
    alertIds: [], issuedBy: 'test', issuedAt: Date.now(), expiresAt: null, ...over,
  };
}

export interface RawRecord { key: string; value: Buffer | null; headers?: Record<string, string | Buffer> }

export async function encodeCommand(config: WardenConfig, cmd: QuarantineCommand): Promise<Buffer> {
  const registry = createRegistry(config);
  const ids = await registerSchemas(registry, config);
  return registry.encode(ids.quarantine, cmd);
}

/** Encodes and signs each command under its own agentId (signer: the config's, unless given). */
export async function publishCommands(config: WardenConfig, commands: QuarantineCommand[], signer: CommandSigner = loadCommandSigner(config, testLogger)): Promise<void> {
  const records = await Promise.all(commands.map(async (c) => {
    const value = await encodeCommand(config, c);
    return { key: c.agentId, value, headers: signCommandRecord(signer, c.agentId, value) };
  }));
  await publishRecords(config, records);
}

export async function publishRecords(config: WardenConfig, records: RawRecord[]): Promise<void> {
  const producer = createProducer(createKafka(config, testLogger));
  await producer.connect();
  try {
    await producer.send({ topic: config.topics.quarantine.name, acks: -1, messages: records });
  } finally {
    await producer.disconnect();
  }
}
