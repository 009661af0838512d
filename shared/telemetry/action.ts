/**
 * Turns what the agent reports (`emit({ action, resource, ... })`) into a
 * complete AgentActionEvent, or a typed InvalidEventError that names the field.
 * Checked here, at the source, so a bad event never becomes a broker error or
 * a DLQ entry far away from the code that made it.
 */
import { z } from 'zod';
import { InvalidEventError } from '../errors/index.js';
import type { AgentActionEvent, Outcome } from '../schemas/generated.js';
import { ACTION_NAME, isKnownAction } from './vocabulary.js';

export interface ActionInput {
  action: string;
  resource?: string | null;
  target?: string | null;
  outcome?: Outcome;
  bytesIn?: number;
  bytesOut?: number;
  records?: number;
  tokens?: number;
  amount?: number | null;
  currency?: string | null;
  text?: string | null;
  sessionId?: string | null;
  principal?: string | null;
  attributes?: Record<string, string>;
  /** Event time (epoch ms); defaults to now. */
  timestamp?: number;
}

const count = z.number().int('must be an integer').nonnegative('must not be negative').max(Number.MAX_SAFE_INTEGER).default(0);
const optionalText = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullish();

const actionSchema = z
  .object({
    action: z.string().regex(ACTION_NAME, 'must be a dotted lower-case name such as data.read'),
    resource: optionalText(512),
    target: optionalText(512),
    outcome: z.enum(['SUCCESS', 'DENIED', 'ERROR']).default('SUCCESS'),
    bytesIn: count,
    bytesOut: count,
    records: count,
    tokens: count,
    amount: z.number().finite('must be a finite number').nullish(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR').nullish(),
    text: z.string().nullish(),
    sessionId: optionalText(256),
    principal: optionalText(256),
    attributes: z.record(z.string().max(256), z.string().max(1024)).default({}),
    timestamp: z.number().int().positive().optional(),
  })
  .strict();

export interface Identity { agentId: string; agentRole: string; tenantId: string }

export interface BuildOptions { maxTextLength: number; eventId: string; seq: number; nowMs: number }

/** Validates and completes one action. Throws InvalidEventError naming the first bad field (never quoting the text). */
export function buildEvent(identity: Identity, input: ActionInput, opts: BuildOptions): AgentActionEvent {
  const parsed = actionSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(action)';
    throw new InvalidEventError('event.invalid', `emit(): ${field}: ${issue.message}`, field);
  }
  const a = parsed.data;
  const attributes: Record<string, string> = { ...a.attributes };
  let text = a.text ?? null;
  if (text !== null && text.length > opts.maxTextLength) {
    text = text.slice(0, opts.maxTextLength);
    attributes.textTruncated = 'true';
  }
  if (!isKnownAction(a.action)) attributes.vocabulary = 'unknown';
  return {
    eventId: opts.eventId,
    agentId: identity.agentId,
    agentRole: identity.agentRole,
    tenantId: identity.tenantId,
    sessionId: a.sessionId ?? null,
    principal: a.principal ?? null,
    timestamp: a.timestamp ?? opts.nowMs,
    seq: opts.seq,
    action: a.action,
    resource: a.resource ?? null,
    target: a.target ?? null,
    outcome: a.outcome,
    bytesIn: a.bytesIn,
    bytesOut: a.bytesOut,
    records: a.records,
    tokens: a.tokens,
    amount: a.amount ?? null,
    currency: a.currency ?? null,
    text,
    attributes,
  };
}
