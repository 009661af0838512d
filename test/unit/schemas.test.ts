import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAvroSchemas } from '../../scripts/gen-types.js';
import { avroToTs } from '../../shared/schemas/avroToTs.js';

describe('TypeScript types and Avro schemas', () => {
  it('generated.ts is exactly what the .avsc files produce (run `npm run gen:types` after a schema change)', () => {
    expect(readFileSync('shared/schemas/generated.ts', 'utf8')).toBe(avroToTs(readAvroSchemas()));
  });

  it('documents every field', () => {
    const walk = (fields: { name: string; doc?: string; type: unknown }[], where: string): string[] =>
      fields.flatMap((f) => [
        ...(f.doc ? [] : [`${where}.${f.name}`]),
        ...(typeof f.type === 'object' && f.type !== null && 'fields' in f.type ? walk((f.type as { fields: never[] }).fields, `${where}.${f.name}`) : []),
      ]);
    const undocumented = Object.entries(readAvroSchemas()).flatMap(([name, s]) => walk((s as { fields: never[] }).fields, name));
    expect(undocumented).toEqual([]);
  });
});
