/**
 * Turns the Avro schemas in schemas/*.avsc into TypeScript types, so the
 * types cannot drift from the schemas: `npm run gen:types` writes
 * generated.ts and a unit test fails when the committed file differs.
 * Pure: no I/O here (scripts/gen-types.ts does the reading and writing).
 */
type AvroType = string | AvroType[] | { type: string; [k: string]: unknown };

interface AvroField { name: string; type: AvroType; doc?: string; default?: unknown }
interface AvroRecord { type: 'record'; name: string; doc?: string; fields: AvroField[] }

const PRIMITIVES: Record<string, string> = {
  string: 'string', long: 'number', int: 'number', double: 'number', float: 'number',
  boolean: 'boolean', bytes: 'Buffer', null: 'null',
};

export function avroToTs(schemas: Record<string, unknown>): string {
  const out: string[] = [];
  const emitted = new Set<string>();

  const typeOf = (t: AvroType): string => {
    if (typeof t === 'string') {
      const p = PRIMITIVES[t];
      if (p) return p;
      return t; // a named type declared earlier
    }
    if (Array.isArray(t)) return t.map(typeOf).join(' | ');
    switch (t.type) {
      case 'record': emitRecord(t as unknown as AvroRecord); return t.name as string;
      case 'enum': {
        const name = t.name as string;
        if (!emitted.has(name)) {
          emitted.add(name);
          const symbols = t.symbols as string[];
          out.push(`export type ${name} = ${symbols.map((s) => `'${s}'`).join(' | ')};`);
          out.push(`export const ${name}Values = [${symbols.map((s) => `'${s}'`).join(', ')}] as const;`, '');
        }
        return name;
      }
      case 'array': return `${wrap(typeOf(t.items as AvroType))}[]`;
      case 'map': return `Record<string, ${typeOf(t.values as AvroType)}>`;
      default: return typeOf(t.type);
    }
  };
  const wrap = (s: string): string => (s.includes('|') ? `(${s})` : s);

  function emitRecord(r: AvroRecord): void {
    if (emitted.has(r.name)) return;
    emitted.add(r.name);
    // Field types first, so nested records and enums are declared above their use.
    const fields = r.fields.map((f) => ({ f, ts: typeOf(f.type) }));
    if (r.doc) out.push(`/** ${r.doc} */`);
    out.push(`export interface ${r.name} {`);
    for (const { f, ts } of fields) {
      if (f.doc) out.push(`  /** ${f.doc} */`);
      out.push(`  ${f.name}: ${ts};`);
    }
    out.push('}', '');
  }

  out.push('// Generated from schemas/*.avsc by scripts/gen-types.ts. Do not edit: run `npm run gen:types`.', '');
  for (const name of Object.keys(schemas).sort()) emitRecord(schemas[name] as AvroRecord);
  out.push('/** The Avro schemas themselves, as registered with the schema registry. */');
  out.push('export const avroSchemas = {');
  for (const name of Object.keys(schemas).sort()) out.push(`  ${name}: ${JSON.stringify(schemas[name])},`);
  out.push('} as const;', '');
  return out.join('\n');
}
