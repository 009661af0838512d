// Regenerates shared/schemas/generated.ts from schemas/*.avsc.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { avroToTs } from '../shared/schemas/avroToTs.js';

export function readAvroSchemas(dir = 'schemas'): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.avsc'))) {
    schemas[file.replace(/\.avsc$/, '')] = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  }
  return schemas;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync('shared/schemas/generated.ts', avroToTs(readAvroSchemas()));
  console.log('wrote shared/schemas/generated.ts');
}
