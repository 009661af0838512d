/**
 * One MCP connection through the gateway over a pair of SDK transports (stdio, or the in-process transport
 * of an agent that embeds the gateway): messages pass between the agent's transport and the server's
 * unchanged, except for what the CallInspector does (refusals answered here, tools/list filtered, every
 * guarded request reported). The HTTP front does not use it: it relays bodies itself (httpRelay.ts).
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../shared/logging/index.js';
import { CallInspector, type InspectorOptions, type Msg } from './inspector.js';

export type { CallGuard } from './inspector.js';

export interface ProxyOptions extends InspectorOptions {
  logger: Logger;
}

export class McpProxy {
  readonly #inspector: CallInspector;
  #closed = false;
  #initializeId: RequestId | undefined;

  constructor(
    private readonly agentSide: Transport,
    private readonly serverSide: Transport,
    private readonly o: ProxyOptions,
  ) {
    this.#inspector = new CallInspector(o);
  }

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
    const refusal = this.#inspector.fromAgent(m);
    if (refusal) {
      this.#send(this.agentSide, refusal);
      return;
    }
    if (m.method === 'initialize' && m.id !== undefined) this.#initializeId = m.id;
    this.#send(this.serverSide, m);
  }

  #fromServer(m: Msg): void {
    if (m.method === undefined && m.id !== undefined && m.id === this.#initializeId) {
      // An HTTP client transport sends the negotiated version on later requests, as the SDK's Client would tell it.
      const version = m.result?.protocolVersion;
      if (typeof version === 'string') this.serverSide.setProtocolVersion?.(version);
    }
    this.#send(this.agentSide, this.#inspector.fromServer(m));
  }

  #send(to: Transport, m: JSONRPCMessage): void {
    to.send(m).catch((err: Error) => this.o.logger.warn({ err: err.message, to: to === this.agentSide ? 'agent' : 'server' }, 'MCP message could not be delivered'));
  }
}
