/**
 * One MCP connection through the gateway: messages pass between the agent's transport and the server's
 * unchanged, except that
 *   - a guarded request (tools/call, resources/read, prompts/get) is checked against the agent's kill-switch
 *     state first; refused, it is answered here and never reaches the server;
 *   - the answer to a tools/list leaves out the tools whose capability is revoked;
 *   - every guarded request, passed or refused, is reported (one event each).
 * Working at the JSON-RPC message level keeps everything else (notifications, progress, server-to-client
 * requests such as sampling) exactly as the server and client speak it.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../shared/logging/index.js';
import type { Decision } from '../../shared/telemetry/index.js';
import type { Outcome } from '../../shared/schemas/generated.js';
import { guardedCall, type CallReport, type GuardedCall, type ToolActionMapper } from './calls.js';
import { refusalMessage, refusalReason } from './refusal.js';

export interface CallGuard {
  check(capability: string): Decision;
  report(r: CallReport): void;
}

export interface ProxyOptions {
  serverName: string;
  mapper: ToolActionMapper;
  guard: CallGuard;
  logger: Logger;
  /** The MCP session id (Streamable HTTP), or the gateway's own id for a stdio connection. */
  sessionId: () => string | null;
}

interface Pending { call: GuardedCall | null; startedAt: number; bytesOut: number }

type Msg = JSONRPCMessage & { id?: RequestId; method?: string; params?: unknown; result?: Record<string, unknown>; error?: { message?: string } };

export class McpProxy {
  readonly #pending = new Map<RequestId, Pending>();
  #closed = false;
  #initializeId: RequestId | undefined;

  constructor(
    private readonly agentSide: Transport,
    private readonly serverSide: Transport,
    private readonly o: ProxyOptions,
  ) {}

  async start(): Promise<void> {
    this.agentSide.onmessage = (m) => this.#fromAgent(m as Msg);
    this.serverSide.onmessage = (m) => this.#fromServer(m as Msg);
    this.agentSide.onclose = () => void this.close();
    this.serverSide.onclose = () => void this.close();
    // Closing aborts the transports' streams, which they report as errors: only errors before that are news.
    this.agentSide.onerror = (e) => this.#closed || this.o.logger.warn({ err: e.message }, 'agent-side MCP transport error');
    this.serverSide.onerror = (e) => this.#closed || this.o.logger.warn({ err: e.message }, 'server-side MCP transport error');
    await this.serverSide.start();
    await this.agentSide.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([this.agentSide.close(), this.serverSide.close()]);
  }

  #fromAgent(m: Msg): void {
    if (m.method !== undefined && m.id !== undefined) {
      const call = guardedCall(m.method, m.params, this.o.mapper);
      if (call) {
        const startedAt = performance.now();
        const decision = this.o.guard.check(call.capability);
        if (!decision.allowed) {
          const reason = refusalReason(call, decision.state, decision.matched);
          this.#send(this.agentSide, refusalMessage(m.id, call, decision.state, reason));
          this.#report(call, 'DENIED', startedAt, bytesOf(m.params), 0, reason);
          return;
        }
        this.#pending.set(m.id, { call, startedAt, bytesOut: bytesOf(m.params) });
      } else if (m.method === 'tools/list') {
        this.#pending.set(m.id, { call: null, startedAt: 0, bytesOut: 0 });
      } else if (m.method === 'initialize') {
        this.#initializeId = m.id;
      }
    }
    this.#send(this.serverSide, m);
  }

  #fromServer(m: Msg): void {
    if (m.method === undefined && m.id !== undefined && m.id === this.#initializeId) {
      // The HTTP client transport sends the negotiated version on later requests, as the SDK's Client would tell it.
      const version = m.result?.protocolVersion;
      if (typeof version === 'string') this.serverSide.setProtocolVersion?.(version);
    }
    const pending = m.method === undefined && m.id !== undefined ? this.#pending.get(m.id) : undefined;
    if (!pending) {
      this.#send(this.agentSide, m);
      return;
    }
    this.#pending.delete(m.id!);
    if (pending.call === null) {
      this.#send(this.agentSide, this.#filterTools(m));
      return;
    }
    this.#send(this.agentSide, m);
    const failed = m.error !== undefined || m.result?.isError === true;
    this.#report(pending.call, failed ? 'ERROR' : 'SUCCESS', pending.startedAt, pending.bytesOut, bytesOf(m.result ?? m.error), m.error?.message);
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

  #send(to: Transport, m: JSONRPCMessage): void {
    to.send(m).catch((err: Error) => this.o.logger.warn({ err: err.message, to: to === this.agentSide ? 'agent' : 'server' }, 'MCP message could not be delivered'));
  }
}

function bytesOf(v: unknown): number {
  return v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v) ?? '');
}
