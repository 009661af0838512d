/**
 * What the gateway knows about one guarded MCP request, pure: which requests are guarded
 * (tools/call, resources/read, prompts/get), the capability each needs (the tool name mapped to an action
 * by the same tool-action mapping as otel-ingest), and the AgentActionEvent input that reports it.
 * Arguments never travel raw unless configured; then they are redacted and cut.
 */
import { createHmac } from 'node:crypto';
import { redact } from '../../shared/siem/redact.js';
import type { ActionInput } from '../../shared/telemetry/index.js';
import type { Outcome } from '../../shared/schemas/generated.js';

/** The part of shared/ingest's ToolActions the gateway needs (one mapping for every tool-call path). */
export interface ToolActionMapper { actionFor(tool: string): string }

export type CallKind = 'tool' | 'resource' | 'prompt';

const GUARDED_METHODS: Record<string, CallKind> = { 'tools/call': 'tool', 'resources/read': 'resource', 'prompts/get': 'prompt' };

/** Resources and prompts have no tool name to map: reading a resource is a read, fetching a prompt is prompt input. */
const KIND_ACTIONS: Record<Exclude<CallKind, 'tool'>, string> = { resource: 'data.read', prompt: 'prompt.input' };

export interface GuardedCall {
  kind: CallKind;
  method: string;
  /** Tool or prompt name, or resource URI. */
  name: string;
  /** The action the call is reported as and checked against revoked capabilities. */
  capability: string;
  args: unknown;
}

export function guardedCall(method: string, params: unknown, mapper: ToolActionMapper): GuardedCall | null {
  const kind = GUARDED_METHODS[method];
  if (!kind) return null;
  const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
  const raw = kind === 'resource' ? p.uri : p.name;
  const name = typeof raw === 'string' ? raw.slice(0, 256) : '';
  const args = kind === 'resource' ? null : (p.arguments ?? null);
  return { kind, method, name, capability: kind === 'tool' ? mapper.actionFor(name) : KIND_ACTIONS[kind], args };
}

/** The host of the first argument (or resource URI) that is a URL or looks like a host name, else null. */
export function targetOf(call: Pick<GuardedCall, 'kind' | 'name' | 'args'>): string | null {
  const values = call.kind === 'resource' ? [call.name] : collectStrings(call.args, 64);
  for (const v of values) {
    try {
      const u = new URL(v);
      if (u.hostname) return u.hostname.slice(0, 253);
    } catch {
      // not a URL: maybe a bare host
    }
    if (HOST.test(v)) return v.toLowerCase();
  }
  return null;
}

const HOST = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function collectStrings(value: unknown, max: number, out: string[] = []): string[] {
  if (out.length >= max) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, max, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) collectStrings(v, max, out);
  return out;
}

/** Canonical JSON (sorted keys) so the same arguments give the same digest whatever their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Keyed (HMAC-SHA256) so equal arguments are recognisable across events while a guessable value
 * (an email address, an account number) cannot be confirmed by hashing candidates without the key.
 */
export function argumentsDigest(digestKey: Buffer, args: unknown): string {
  return createHmac('sha256', digestKey).update(canonicalJson(args)).digest('base64url');
}

export interface CallReport {
  call: GuardedCall;
  serverName: string;
  sessionId: string | null;
  outcome: Outcome;
  latencyMs: number;
  /** Why the gateway refused the call (DENIED), or why it failed. */
  detail?: string;
  bytesIn: number;
  bytesOut: number;
}

export interface ReportOptions { digestKey: Buffer; recordArguments: boolean; maxArgumentChars: number }

export function callEvent(r: CallReport, o: ReportOptions): ActionInput {
  const attributes: Record<string, string> = {
    'mcp.method': r.call.method,
    'mcp.server': r.serverName.slice(0, 256),
    'mcp.latency_ms': String(Math.round(r.latencyMs * 1000) / 1000),
    'mcp.args_digest': argumentsDigest(o.digestKey, r.call.args),
  };
  if (r.detail) attributes['mcp.detail'] = r.detail.slice(0, 1024);
  return {
    action: r.call.capability,
    resource: `${r.serverName}/${r.call.name}`.slice(0, 512),
    target: targetOf(r.call),
    outcome: r.outcome,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    sessionId: r.sessionId,
    text: o.recordArguments && r.call.args !== null ? redact(canonicalJson(r.call.args)).slice(0, o.maxArgumentChars) : null,
    attributes,
  };
}
