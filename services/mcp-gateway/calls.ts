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

/**
 * The host a call reaches, or null. A host is taken only where it cannot be a file name:
 *   - from a URL-shaped value (`scheme://host...`) in any argument, or the resource URI;
 *   - from a bare host name (`api.example.com`, `example.com:8443`) only in an argument whose name says it
 *     holds one (url, uri, host, hostname, domain, endpoint, server, address, and names ending so: `baseUrl`).
 * A bare dotted value anywhere else (`notes.txt`, `report.final.md`, `config.yaml`) is a path as often as a
 * host, and a filesystem tool's arguments are mostly such values: guessing there would report reads of local
 * files as network targets, which is worse than no target (the detector learns targets per agent).
 */
export function targetOf(call: Pick<GuardedCall, 'kind' | 'name' | 'args'>): string | null {
  const values: ArgumentValue[] = call.kind === 'resource' ? [{ key: null, value: call.name }] : collectStrings(call.args, 64);
  for (const { key, value } of values) {
    const fromUrl = urlHost(value);
    if (fromUrl) return fromUrl;
    if (key !== null && namesHost(key)) {
      const bare = HOST_PORT.exec(value.trim());
      if (bare) return bare[1]!.toLowerCase();
    }
  }
  return null;
}

/** The argument names whose bare value is a host: the name's last word (`baseUrl`, `target_host`, `api-endpoint`). */
const HOST_KEY_WORDS = new Set(['url', 'uri', 'host', 'hostname', 'domain', 'endpoint', 'server', 'address']);

function namesHost(key: string): boolean {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[\s_.-]+/);
  return HOST_KEY_WORDS.has(words.at(-1) ?? '');
}

const HOST_PORT = /^((?=.{4,253}(?::\d{1,5})?$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?::\d{1,5})?$/i;
const URL_SHAPED = /^[a-z][a-z0-9+.-]*:\/\//i;

function urlHost(value: string): string | null {
  if (!URL_SHAPED.test(value)) return null;
  try {
    const host = new URL(value).hostname;
    return host ? host.slice(0, 253).toLowerCase() : null;
  } catch {
    return null;
  }
}

interface ArgumentValue { key: string | null; value: string }

/** String values with the name of the argument (object key) that holds them; array items keep the array's name. */
function collectStrings(value: unknown, max: number, key: string | null = null, out: ArgumentValue[] = []): ArgumentValue[] {
  if (out.length >= max) return out;
  if (typeof value === 'string') out.push({ key, value });
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, max, key, out);
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) collectStrings(v, max, k, out);
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
