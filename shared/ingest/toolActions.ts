/**
 * Tool name -> Warden action, as data (rules/tool-actions.yaml). Shared by every path that turns a tool
 * call into an event: otel-ingest (GenAI `execute_tool` spans) now, the MCP gateway's tool calls later.
 * Names compare in lower case with `-` and spaces read as `_`, so `Send-Email` and `send_email` are one
 * tool. `names` match whole names, `patterns` are globs (`*` = any run of characters); a whole name
 * wins over every pattern, then the first matching pattern; a tool that matches nothing is `tool.call`. Bad YAML is a RulesError naming the key.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RulesError } from '../errors/index.js';
import { ACTION_NAME } from '../telemetry/vocabulary.js';
import { DEFAULT_TOOL_ACTIONS } from './toolActionDefaults.js';

export const UNMAPPED_TOOL_ACTION = 'tool.call';

const toolName = z.string().min(1).max(256);

export const toolActionsSchema = z
  .object({
    version: z.literal(1),
    tools: z.array(
      z
        .object({
          action: z.string().regex(ACTION_NAME, 'must be a dotted lower-case action such as email.send'),
          description: z.string().optional(),
          names: z.array(toolName).default([]),
          patterns: z.array(toolName.regex(/\*/, 'a pattern needs a * (use names for whole names)')).default([]),
        })
        .strict()
        .refine((t) => t.names.length + t.patterns.length > 0, { message: 'needs at least one name or pattern' }),
    ),
  })
  .strict();

export type ToolActionsInput = z.input<typeof toolActionsSchema>;

export interface ToolActions {
  /** The action for a tool name: the first matching entry's, else `tool.call`. */
  actionFor(tool: string): string;
}

export function normalizeToolName(name: string): string {
  return name.trim().toLowerCase().replace(/[-\s]+/g, '_');
}

function globToRegExp(glob: string): RegExp {
  const body = normalizeToolName(glob).split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

/** Validates a mapping (already parsed) and compiles it. */
export function compileToolActions(input: unknown, source = 'tool actions'): ToolActions {
  const parsed = toolActionsSchema.safeParse(input);
  if (!parsed.success) throw new RulesError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`), source);
  const exact = new Map<string, string>();
  const globs: { re: RegExp; action: string }[] = [];
  for (const entry of parsed.data.tools) {
    for (const n of entry.names) if (!exact.has(normalizeToolName(n))) exact.set(normalizeToolName(n), entry.action);
    for (const p of entry.patterns) globs.push({ re: globToRegExp(p), action: entry.action });
  }
  // A whole name listed anywhere wins over any pattern: names are the precise statements.
  return {
    actionFor(tool: string): string {
      const n = normalizeToolName(tool);
      return exact.get(n) ?? globs.find((g) => g.re.test(n))?.action ?? UNMAPPED_TOOL_ACTION;
    },
  };
}

/** Parses mapping YAML text (pure). */
export function parseToolActions(yamlText: string, source = 'tool actions'): ToolActions {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (err) {
    throw new RulesError([`not valid YAML: ${(err as Error).message.split('\n')[0]}`], source);
  }
  return compileToolActions(doc, source);
}

/** The mapping from a file, or the built-in default (the same as rules/tool-actions.yaml). */
export function loadToolActions(file?: string): ToolActions {
  if (!file) return compileToolActions(DEFAULT_TOOL_ACTIONS, 'built-in tool actions');
  return parseToolActions(readFileSync(file, 'utf8'), file);
}
