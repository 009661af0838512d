/**
 * What the gateway does to the JSON-RPC messages of one MCP session, whatever carries them (stdio pipes
 * through stdioRelay, or HTTP bodies and SSE events through httpRelay):
 *   - a guarded request (tools/call, resources/read, prompts/get) is checked against the agent's kill-switch
 *     state first; refused, the caller answers it with the refusal and it never reaches the server;
 *   - the answer to a tools/list leaves out the tools whose capability is revoked;
 *   - every guarded request, passed or refused, is reported once (one event each): answered, refused, or
 *     abandoned (its exchange ended with no answer).
 * Everything else (notifications, progress, server-to-client requests such as sampling) is not touched.
 */
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Decision } from '../../shared/telemetry/index.js';
import type { Outcome } from '../../shared/schemas/generated.js';
import { guardedCall, type CallReport, type GuardedCall, type ToolActionMapper } from './calls.js';
import { isRequest, type UnaddressedError } from './messages.js';
import { refusalMessage, refusalReason } from './refusal.js';

export interface CallGuard {
  check(capability: string): Decision;
  report(r: CallReport): void;
}

export interface InspectorOptions {
  serverName: string;
  mapper: ToolActionMapper;
  guard: CallGuard;
  /** The MCP session id (Streamable HTTP), or the gateway's own id for a stdio connection. */
  sessionId: () => string | null;
}

/** A JSON-RPC message as parsed off the wire: only the fields the gateway reads, all unchecked. */
export type Msg = JSONRPCMessage & { id?: RequestId; method?: string; params?: unknown; result?: Record<string, unknown>; error?: { message?: string } };

const INVALID_REQUEST = -32600;
const NOT_A_REQUEST = 'Invalid Request: tools/call, resources/read and prompts/get need an id (string or number); refused, not forwarded';

interface Pending { call: GuardedCall | null; startedAt: number; bytesOut: number }

export class CallInspector {
  readonly #pending = new Map<RequestId, Pending>();

  constructor(private readonly o: InspectorOptions) {}

  /**
   * A message from the agent: the refusal to answer it with (it goes no further), or null to forward it.
   * wireBytes: the message's size as it came in, when the carrier knows it (one message per body or line).
   */
  fromAgent(m: Msg, wireBytes?: number): JSONRPCMessage | UnaddressedError | null {
    if (m.method === undefined) return null;
    const call = guardedCall(m.method, m.params, this.o.mapper);
    if (!isRequest(m)) {
      // A guarded method sent without an id: MCP has no such notification, and a lenient server could still
      // run it, unchecked and unreported. Refused (DENIED) whatever the agent's state, never forwarded.
      if (!call) return null;
      this.#report(call, 'DENIED', performance.now(), messageBytes(m, wireBytes), 0, NOT_A_REQUEST);
      return { jsonrpc: '2.0', error: { code: INVALID_REQUEST, message: NOT_A_REQUEST }, id: null };
    }
    if (call) {
      const startedAt = performance.now();
      const decision = this.o.guard.check(call.capability);
      if (!decision.allowed) {
        const reason = refusalReason(call, decision.state, decision.matched);
        this.#report(call, 'DENIED', startedAt, messageBytes(m, wireBytes), 0, reason);
        return refusalMessage(m.id, call, decision.state, reason);
      }
      this.#pending.set(m.id, { call, startedAt, bytesOut: messageBytes(m, wireBytes) });
    } else if (m.method === 'tools/list') {
      this.#pending.set(m.id, { call: null, startedAt: 0, bytesOut: 0 });
    }
    return null;
  }

  /** A message from the server: what the agent gets (a tools/list answer filtered); a guarded answer is reported. */
  fromServer(m: Msg, wireBytes?: number): JSONRPCMessage {
    const pending = m.method === undefined && m.id !== undefined && m.id !== null ? this.#pending.get(m.id) : undefined;
    if (!pending) return m;
    this.#pending.delete(m.id!);
    if (pending.call === null) return this.#filterTools(m);
    const failed = m.error !== undefined || m.result?.isError === true;
    this.#report(pending.call, failed ? 'ERROR' : 'SUCCESS', pending.startedAt, pending.bytesOut, messageBytes(m, wireBytes), m.error?.message);
    return m;
  }

  /** The request was forwarded but its exchange ended with no answer: reported as ERROR, not lost. */
  abandon(id: RequestId, detail: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (pending.call) this.#report(pending.call, 'ERROR', pending.startedAt, pending.bytesOut, 0, detail);
  }

  /** The connection ended (the server exited): every request still waiting is reported as ERROR. */
  abandonAll(detail: string): void {
    for (const id of [...this.#pending.keys()]) this.abandon(id, detail);
  }

  /** Requests forwarded and not answered yet. */
  pending(): number {
    return this.#pending.size;
  }

  /** tools/list while throttled: the revoked tools are not offered at all, so the model does not plan with them. */
  #filterTools(m: Msg): Msg {
    const tools = m.result?.tools;
    if (!Array.isArray(tools)) return m;
    const offered = tools.filter((t: { name?: unknown }) => typeof t.name === 'string' && this.o.guard.check(this.o.mapper.actionFor(t.name)).allowed);
    return offered.length === tools.length ? m : { ...m, result: { ...m.result, tools: offered } };
  }

  #report(call: GuardedCall, outcome: Outcome, startedAt: number, bytesOut: number, bytesIn: number, detail?: string): void {
    this.o.guard.report({ call, serverName: this.o.serverName, sessionId: this.o.sessionId(), outcome, latencyMs: performance.now() - startedAt, bytesIn, bytesOut, detail });
  }
}

/**
 * A call's bytes out (its request) and in (its answer): the message's size as it crossed the gateway. Taken from
 * the wire when the carrier held just this message, so the common case serialises nothing again; a message
 * of a batch is measured as JSON.
 */
function messageBytes(m: Msg, wireBytes: number | undefined): number {
  return wireBytes ?? Buffer.byteLength(JSON.stringify(m));
}
