/**
 * One OpenTelemetry GenAI span -> one AgentActionEvent, or the reason it is not one. Pure: no I/O, no
 * clock. The table in README "Watch agents that already emit OpenTelemetry" documents every field.
 *
 * Which spans: `execute_tool` (a tool call: the action comes from the tool-name mapping), and
 * `invoke_agent`, `create_agent`, `chat`, `text_completion`, `generate_content`, `embeddings` (model and
 * agent calls: `model.output` with the token usage). The operation is `gen_ai.operation.name`, or the
 * first word of the span name when that attribute is missing. Other spans (HTTP, database, ...) are
 * `ignored`: they say nothing the agent's own spans do not, and they are counted, not turned into events.
 *
 * The event's seq is 0 here: the writer assigns it when it queues the event, so seq order is send order.
 */
import { InvalidEventError, type ReasonCode } from '../errors/index.js';
import { agentIdProblem, labelProblem } from '../identity/index.js';
import type { AgentActionEvent, Outcome } from '../schemas/generated.js';
import { PROVENANCE_ATTRIBUTE } from '../signing/hmac.js';
import { redact } from '../siem/redact.js';
import { buildEvent, type ActionInput } from '../telemetry/action.js';
import { extractArguments, targetFromArguments } from './toolArguments.js';
import type { ToolActions } from './toolActions.js';
import { intAttr, lookup, stringAttr, type OtlpSpan } from './otlp/spans.js';

export const ATTESTER_NAME = 'otel-ingest';

export interface IdentityRules {
  agentIdAttributes: readonly string[];
  roleAttributes: readonly string[];
  defaultRole: string;
  tenantAttributes: readonly string[];
  defaultTenant: string;
}

export interface SpanMappingOptions {
  identity: IdentityRules;
  toolActions: ToolActions;
  maxTextLength: number;
  /** Who delivered the span: a token's name, or `kafka:<topic>`. Recorded in attributes `otel.sender`. */
  sender: string;
}

export type SpanVerdict =
  | { kind: 'event'; event: AgentActionEvent }
  | { kind: 'ignored'; why: string }
  | { kind: 'refused'; reason: ReasonCode; detail: string; agentId?: string };

const TOOL_OPERATIONS = new Set(['execute_tool']);
const MODEL_OPERATIONS = new Set(['invoke_agent', 'create_agent', 'chat', 'text_completion', 'generate_content', 'embeddings']);
/** An error.type or status message that says the call was refused rather than broken. */
const DENIAL = /denied|forbidden|unauthori[sz]ed|not[_ ]allowed|permission|\b40[13]\b/i;
/** Text is redacted before it is cut; longer input is cut first so a huge argument costs bounded time. */
const MAX_TEXT_SCAN = 16_384;
const MAX_ATTRIBUTE = 256;

export function spanToEvent(span: OtlpSpan, options: SpanMappingOptions): SpanVerdict {
  const operation = stringAttr(span.attributes, 'gen_ai.operation.name') ?? span.name.split(' ', 1)[0] ?? '';
  const isTool = TOOL_OPERATIONS.has(operation);
  if (!isTool && !MODEL_OPERATIONS.has(operation)) return { kind: 'ignored', why: `not a GenAI agent, tool or model span (operation ${JSON.stringify(operation.slice(0, 64))})` };

  if (!/^[0-9a-f]{32}$/.test(span.traceId) || /^0+$/.test(span.traceId)) return refused('event.invalid', 'traceId must be 16 bytes and not all zero');
  if (!/^[0-9a-f]{16}$/.test(span.spanId) || /^0+$/.test(span.spanId)) return refused('event.invalid', 'spanId must be 8 bytes and not all zero');
  const timestamp = span.endMs || span.startMs;
  if (!(timestamp > 0)) return refused('event.invalid', 'span has neither an end nor a start time');

  const who = identify(span, options.identity);
  if ('problem' in who) return refused('event.bad-identity', who.problem, who.agentId);

  let input: ActionInput;
  if (isTool) {
    const tool = stringAttr(span.attributes, 'gen_ai.tool.name') ?? (span.name.startsWith('execute_tool ') ? span.name.slice('execute_tool '.length).trim() : '');
    if (!tool) return refused('event.invalid', 'execute_tool span without gen_ai.tool.name', who.agentId);
    const args = extractArguments(span.attributes.get('gen_ai.tool.call.arguments'));
    const result = stringAttr(span.attributes, 'gen_ai.tool.call.result');
    input = {
      action: options.toolActions.actionFor(tool),
      resource: tool.slice(0, 512),
      target: endpointTarget(span) ?? targetFromArguments(args.value),
      bytesOut: args.text ? Buffer.byteLength(args.text) : 0,
      bytesIn: result ? Buffer.byteLength(result) : 0,
      amount: args.amount ?? null,
      currency: args.currency ?? null,
      text: args.text ? boundedText(args.text) : null,
    };
  } else {
    const resource = stringAttr(span.attributes, 'gen_ai.request.model') ?? stringAttr(span.attributes, 'gen_ai.response.model') ?? stringAttr(span.attributes, 'gen_ai.agent.name') ?? operation;
    const messages = span.attributes.get('gen_ai.input.messages');
    const text = typeof messages === 'string' ? messages : messages ? JSON.stringify(messages) : undefined;
    input = { action: 'model.output', resource: resource.slice(0, 512), target: endpointTarget(span), text: text ? boundedText(text) : null };
  }
  input.tokens = (intAttr(span.attributes, 'gen_ai.usage.input_tokens') ?? 0) + (intAttr(span.attributes, 'gen_ai.usage.output_tokens') ?? 0);
  input.outcome = outcomeOf(span);
  const session = stringAttr(span.attributes, 'gen_ai.conversation.id');
  input.sessionId = session ? session.slice(0, 256) : null;
  input.timestamp = timestamp;
  input.attributes = provenance(span, operation, who.agentIdFrom, options.sender);

  try {
    const event = buildEvent(
      { agentId: who.agentId, agentRole: who.role, tenantId: who.tenant },
      input,
      { maxTextLength: options.maxTextLength, eventId: `otel-${span.traceId}-${span.spanId}`, seq: 0, nowMs: timestamp },
    );
    return { kind: 'event', event };
  } catch (err) {
    if (err instanceof InvalidEventError) return refused(err.reason, err.message.replace(/^emit\(\): /, ''), who.agentId);
    throw err;
  }
}

function refused(reason: ReasonCode, detail: string, agentId?: string): SpanVerdict {
  return { kind: 'refused', reason, detail, ...(agentId === undefined ? {} : { agentId }) };
}

type Identified = { agentId: string; agentIdFrom: string; role: string; tenant: string } | { problem: string; agentId?: string };

function identify(span: OtlpSpan, rules: IdentityRules): Identified {
  let found: { name: string; value: string } | undefined;
  for (const name of rules.agentIdAttributes) {
    const hit = lookup(span, [name]);
    if (!hit) continue;
    if (typeof hit.value !== 'string') return { problem: `${name} is not a string` };
    // The SDKs' default when no service name is configured: it names a process, not an agent.
    if (name === 'service.name' && hit.value.startsWith('unknown_service')) continue;
    found = { name, value: hit.value };
    break;
  }
  if (!found) return { problem: `no agent identity: none of ${rules.agentIdAttributes.join(', ')} is set on the span or its resource` };
  const idProblem = agentIdProblem(found.value);
  if (idProblem) return { problem: `${found.name}: ${idProblem}` };
  const role = label(span, rules.roleAttributes) ?? rules.defaultRole;
  const tenant = label(span, rules.tenantAttributes) ?? rules.defaultTenant;
  const labelIssue = labelProblem('agentRole', role) ?? labelProblem('tenantId', tenant);
  if (labelIssue) return { problem: labelIssue, agentId: found.value };
  return { agentId: found.value, agentIdFrom: found.name, role, tenant };
}

function label(span: OtlpSpan, names: readonly string[]): string | undefined {
  const hit = lookup(span, names);
  return typeof hit?.value === 'string' ? hit.value : undefined;
}

/** Where the call went: `server.address`, else the host of `url.full`. */
function endpointTarget(span: OtlpSpan): string | undefined {
  const server = stringAttr(span.attributes, 'server.address');
  if (server) return server.slice(0, 512);
  const url = stringAttr(span.attributes, 'url.full');
  if (!url) return undefined;
  try {
    return new URL(url).hostname.slice(0, 512) || undefined;
  } catch {
    return undefined;
  }
}

function outcomeOf(span: OtlpSpan): Outcome {
  const errorType = stringAttr(span.attributes, 'error.type');
  if (span.statusCode !== 2 && !errorType) return 'SUCCESS';
  return DENIAL.test(`${errorType ?? ''} ${span.statusMessage}`) ? 'DENIED' : 'ERROR';
}

/** Secrets and personal data out first, then cut (buildEvent marks textTruncated). */
function boundedText(text: string): string {
  return redact(text.slice(0, MAX_TEXT_SCAN));
}

function provenance(span: OtlpSpan, operation: string, agentIdFrom: string, sender: string): Record<string, string> {
  const out: Record<string, string> = {
    [PROVENANCE_ATTRIBUTE]: ATTESTER_NAME,
    source: 'otlp',
    'otel.sender': sender.slice(0, MAX_ATTRIBUTE),
    'otel.trace_id': span.traceId,
    'otel.span_id': span.spanId,
    'otel.operation': operation.slice(0, MAX_ATTRIBUTE),
    'otel.agent_id_from': agentIdFrom,
  };
  for (const name of ['gen_ai.tool.type', 'gen_ai.tool.call.id', 'error.type', 'gen_ai.provider.name']) {
    const v = stringAttr(span.attributes, name);
    if (v) out[name] = v.slice(0, MAX_ATTRIBUTE);
  }
  return out;
}
