import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { inEngineShape } from '../../../shared/detection/engine/eventShape.js';
import { avroSchemas } from '../../../shared/schemas/generated.js';
import { event } from './helpers.js';

const eventType = avro.Type.forSchema(avroSchemas.AgentActionEvent as unknown as avro.Schema) as avro.types.RecordType;

describe('inEngineShape', () => {
  it('keeps every field of the event schema, and the verification, with their values', () => {
    // A schema field the copy forgot would reach no detector: every field of AgentActionEvent.avsc must survive it.
    const decoded = eventType.fromBuffer(eventType.toBuffer(event({ resource: 'db/customers', target: 'mail.example.com', amount: 12.5, currency: 'EUR', text: 'hello', sessionId: 's-1', principal: 'p-1' })));
    const input = Object.assign(decoded, { verification: 'valid' as const });
    const copy = inEngineShape(input);
    expect(Object.keys(copy).sort()).toEqual([...eventType.fields.map((f) => f.name), 'verification'].sort());
    for (const field of eventType.fields) expect(copy[field.name as keyof typeof copy]).toEqual(input[field.name as keyof typeof input]);
    expect(copy.verification).toBe('valid');
  });

  it('gives events of different shapes one field order', () => {
    const literal = event({ action: 'data.read' });
    const reordered = Object.fromEntries(Object.entries(literal).reverse()) as typeof literal;
    expect(Object.keys(inEngineShape(reordered))).toEqual(Object.keys(inEngineShape(literal)));
  });
});
