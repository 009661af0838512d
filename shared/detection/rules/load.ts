/**
 * Loading rules: the only file I/O in shared/detection (`loadRules`).
 * A rules file may be partial: every section defaults, and `rules` entries
 * override the default rule with the same id (fields merge, thresholds
 * merge key by key; lists such as `tags` or `sensitivity` replace).
 * Anything unknown or mistyped throws RulesError naming the key.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { RulesError } from '../../errors/index.js';
import { DEFAULT_RULES } from './defaults.js';
import { validateRules, type Rules } from './schema.js';

type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeDeep(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return over === undefined ? base : over;
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeDeep(base[key], value);
  return out;
}

function mergeRules(base: Rules['rules'], over: unknown, issues: string[]): unknown[] {
  if (over === undefined) return base;
  if (!Array.isArray(over)) {
    issues.push('rules: expected a list of rules');
    return base;
  }
  const merged: unknown[] = [...base];
  over.forEach((rule, index) => {
    const id = isPlain(rule) ? rule.id : undefined;
    if (typeof id !== 'string') {
      issues.push(`rules[${index}].id: required (a rule overrides the default rule with the same id)`);
      return;
    }
    const at = merged.findIndex((r) => isPlain(r) && r.id === id);
    if (at === -1) merged.push(rule);
    else merged[at] = mergeDeep(merged[at], rule);
  });
  return merged;
}

/** Defaults overlaid with a (possibly partial) rules object; throws RulesError naming every bad key. */
export function resolveRules(input: unknown, source = 'rules'): Rules {
  if (input === undefined || input === null) return DEFAULT_RULES;
  if (!isPlain(input)) throw new RulesError(['(root): expected a mapping of sections'], source);
  const issues: string[] = [];
  const { rules, ...sections } = input;
  const merged = { ...(mergeDeep(DEFAULT_RULES, sections) as Plain), rules: mergeRules(DEFAULT_RULES.rules, rules, issues) };
  const result = validateRules(merged);
  if (!result.ok) issues.push(...result.issues);
  if (issues.length > 0 || !result.ok) throw new RulesError(issues, source);
  return result.rules;
}

/** Parse rules YAML text (pure). */
export function parseRules(yamlText: string, source = 'rules'): Rules {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (err) {
    throw new RulesError([`(yaml): ${(err as Error).message}`], source);
  }
  return resolveRules(doc, source);
}

/** Read and validate a rules file; with no file, the built-in defaults (same content as rules/detection.yaml). */
export function loadRules(file?: string): Rules {
  if (file === undefined) return DEFAULT_RULES;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RulesError([`(file): cannot read: ${(err as Error).message}`], file);
  }
  return parseRules(text, file);
}
