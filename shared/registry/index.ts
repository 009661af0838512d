/**
 * The schema registry client (Confluent REST API; locally Apicurio's
 * /apis/ccompat/v7) and the registration of our Avro schemas under
 * `<topic>-value`. The registry starts empty (in-memory storage), so every
 * service registers at start-up; registration is idempotent.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { WardenConfig } from '../config/index.js';
import { avroSchemas } from '../schemas/generated.js';

export type { SchemaRegistry };

export function createRegistry(config: WardenConfig): SchemaRegistry {
  const r = config.registry;
  return new SchemaRegistry({
    host: r.url,
    ...(r.username ? { auth: { username: r.username, password: r.password ?? '' } } : {}),
    retry: { retries: 3 },
  });
}

export type SchemaName = keyof typeof avroSchemas;

/** Which schema each topic carries (its value). */
export const TOPIC_SCHEMAS = {
  events: 'AgentActionEvent',
  alerts: 'Alert',
  quarantine: 'QuarantineCommand',
} as const satisfies Partial<Record<keyof WardenConfig['topics'], SchemaName>>;

export interface SchemaIds { events: number; alerts: number; quarantine: number }

export function subjectFor(config: WardenConfig, topicKey: keyof typeof TOPIC_SCHEMAS): string {
  return `${config.topics[topicKey].name}-value`;
}

/** Registers (or finds) the current schemas; returns the ids to encode with. */
export async function registerSchemas(registry: SchemaRegistry, config: WardenConfig): Promise<SchemaIds> {
  const ids: Partial<SchemaIds> = {};
  for (const [key, name] of Object.entries(TOPIC_SCHEMAS) as [keyof typeof TOPIC_SCHEMAS, SchemaName][]) {
    const { id } = await registerSchema(registry, name, subjectFor(config, key));
    ids[key] = id;
  }
  return ids as SchemaIds;
}

/**
 * Registers (or finds) one schema under a subject: the one way every service and the SDK register.
 * Two services starting together may both register a subject that does not exist yet. The client
 * sets and checks the subject's compatibility level around registering, and against Apicurio the loser
 * of that race fails with "Compatibility does not match" (a subject caught half-created answers NONE)
 * or "A rule named 'COMPATIBILITY' already exists". Once the subject exists both pass: retry those two
 * cases a few times, nothing else.
 */
export async function registerSchema(registry: SchemaRegistry, name: SchemaName, subject: string): Promise<{ id: number }> {
  const schema = JSON.stringify(avroSchemas[name]);
  for (let attempt = 0; ; attempt++) {
    try {
      return await registry.register({ type: SchemaType.AVRO, schema }, { subject });
    } catch (err) {
      if (attempt >= 4 || !/Compatibility does not match|rule named 'COMPATIBILITY' already exists/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}
