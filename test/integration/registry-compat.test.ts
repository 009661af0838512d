import { describe, expect, it } from 'vitest';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { createRegistry, registerSchemas, subjectFor } from '../../shared/registry/index.js';
import { avroSchemas } from '../../shared/schemas/generated.js';
import { isolatedConfig } from '../support/stack.js';

const config = isolatedConfig('compat');
const registry = createRegistry(config);
const subject = subjectFor(config, 'events');
const v1 = avroSchemas.AgentActionEvent;
const asAvro = (schema: unknown) => ({ type: SchemaType.AVRO as const, schema: JSON.stringify(schema) });

describe('schema evolution is BACKWARD compatible', () => {
  it('accepts an added optional field and refuses an added required field', async () => {
    const first = await registry.register(asAvro(v1), { subject });
    // Same schema again: same id (registration is idempotent).
    expect((await registry.register(asAvro(v1), { subject })).id).toBe(first.id);

    const compatible = { ...v1, fields: [...v1.fields, { name: 'region', type: ['null', 'string'], default: null, doc: 'optional' }] };
    const second = await registry.register(asAvro(compatible), { subject });
    expect(second.id).not.toBe(first.id);

    // A new field without a default: readers of the new schema cannot read old records.
    const breaking = { ...v1, fields: [...v1.fields, { name: 'mandatory', type: 'string', doc: 'breaks old data' }] };
    await expect(registry.register(asAvro(breaking), { subject })).rejects.toThrow(/compatib/i);
  });
});

describe('registration at start-up', () => {
  it('services starting together all register the same new subjects (no lost race)', async () => {
    const fresh = isolatedConfig('race');
    // Separate clients, as separate services would have: no shared cache.
    const results = await Promise.all(Array.from({ length: 8 }, () => registerSchemas(createRegistry(fresh), fresh)));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
  });
});
