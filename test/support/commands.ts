/** Writes QuarantineCommand records the way the responder does (keyed by agentId, Avro through the registry). */
import { createKafka, createProducer } from '../../shared/kafka/index.js';
import { createRegistry, registerSchemas } from '../../shared/registry/index.js';
import type { WardenConfig } from '../../shared/config/index.js';
import type { QuarantineCommand } from '../../shared/schemas/generated.js';
import { testLogger, uniqueSuffix } from './stack.js';

export function command(agentId: string, over: Partial<QuarantineCommand> = {}): QuarantineCommand {
  return {
    commandId: `cmd-${uniqueSuffix()}`, agentId, type: 'QUARANTINE', revokedCapabilities: [], reason: 'integration test',
    alertIds: [], issuedBy: 'test', issuedAt: Date.now(), expiresAt: null, ...over,
  };
}

export async function publishCommands(config: WardenConfig, commands: QuarantineCommand[]): Promise<void> {
  const registry = createRegistry(config);
  const ids = await registerSchemas(registry, config);
  const producer = createProducer(createKafka(config, testLogger));
  await producer.connect();
  try {
    const messages = await Promise.all(commands.map(async (c) => ({ key: c.agentId, value: await registry.encode(ids.quarantine, c) })));
    await producer.send({ topic: config.topics.quarantine.name, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}
