/** Reads and validates the response policy YAML; the only file I/O in shared/response. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { RulesError } from '../errors/index.js';
import { DEFAULT_POLICY } from './defaults.js';
import { policySchema, type Policy } from './policy.js';

export function parsePolicy(text: string, source = 'policy'): Policy {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new RulesError([`not valid YAML: ${(err as Error).message.split('\n')[0]}`], source);
  }
  const r = policySchema.safeParse(raw);
  if (!r.success) throw new RulesError(r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`), source);
  return r.data;
}

/** The policy from a file, or the built-in default (the same as rules/response.yaml). */
export function loadPolicy(file?: string): Policy {
  if (!file) return DEFAULT_POLICY;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RulesError([`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`], file);
  }
  return parsePolicy(text, file);
}
