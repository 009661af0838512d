/**
 * Streamable HTTP mode: the gateway is an MCP endpoint (`/mcp`) in front of the server URL, plus the
 * state API. Every request carries the agent's bearer token; the token names the agent (tokens.ts).
 * Each MCP session gets its own pair of transports (the SDK's server transport facing the agent, its client
 * transport facing the server) joined by an McpProxy; a session is bound to the agent that opened it, so
 * another agent's token cannot ride on it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '../../shared/logging/index.js';
import type { AgentHub } from './agents.js';
import type { ToolActionMapper } from './calls.js';
import { McpProxy } from './proxy.js';
import { handleStateRequest, json } from './stateApi.js';
import { bearerToken, type AgentTokens } from './tokens.js';
import { createUpstreamFetch } from './upstreamFetch.js';

export interface HttpGatewayOptions {
  hub: AgentHub;
  tokens: AgentTokens;
  mapper: ToolActionMapper;
  upstreamUrl: URL;
  serverName: string;
  host: string;
  port: number;
  maxBodyBytes: number;
  logger: Logger;
}

export interface HttpGateway { url: URL; sessions(): number; close(): Promise<void> }

interface Session { agentId: string; transport: StreamableHTTPServerTransport; proxy: McpProxy }

export async function startHttpGateway(o: HttpGatewayOptions): Promise<HttpGateway> {
  const sessions = new Map<string, Session>();
  // One client for every session's upstream requests: its sockets are reused across sessions and calls.
  const upstreamFetch = createUpstreamFetch();

  const openSession = async (agentId: string): Promise<{ transport: StreamableHTTPServerTransport; proxy: McpProxy }> => {
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // A request's answer as one JSON body rather than an SSE stream per POST: written once, when ready, in one
      // socket write, where the stream cost a headers write, a body write and an end (profiled: bench/mcp-latency.ts
      // --gateway-cpu-prof). Nothing streams on a POST here anyway: the proxy relays the server's notifications
      // and requests on the session's standalone GET stream, which stays SSE.
      enableJsonResponse: true,
      onsessioninitialized: (id) => void sessions.set(id, { agentId, transport, proxy }),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    const upstream = new StreamableHTTPClientTransport(o.upstreamUrl, { fetch: upstreamFetch.fetch });
    const proxy = new McpProxy(transport, upstream, { serverName: o.serverName, mapper: o.mapper, guard: o.hub.guardFor(agentId), logger: o.logger, sessionId: () => transport.sessionId ?? null });
    await proxy.start();
    return { transport, proxy };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const agent = o.tokens.agentFor(bearerToken(req.headers.authorization));
    if (!agent) {
      json(res, 401, { error: 'a valid bearer token is required' }, { 'www-authenticate': 'Bearer realm="agent-warden"' });
      return;
    }
    if (handleStateRequest(req, res, path, agent.agentId, o.hub)) return;
    if (path !== '/mcp') {
      json(res, 404, { error: 'not found: the MCP endpoint is /mcp, the state API /v1/agents/{id}/state' });
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > o.maxBodyBytes) {
      json(res, 413, { error: `body larger than ${o.maxBodyBytes} bytes` });
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const s = sessions.get(sessionId);
      // Unknown, or opened by another agent: the same answer, so a token cannot probe others' sessions.
      if (!s || s.agentId !== agent.agentId) {
        json(res, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'session not found' }, id: null });
        return;
      }
      await s.transport.handleRequest(req, res);
      return;
    }
    const fresh = await openSession(agent.agentId);
    await fresh.transport.handleRequest(req, res);
    // Not an initialize request: the transport refused it and no session exists; do not keep the pair.
    if (!fresh.transport.sessionId) await fresh.proxy.close();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      o.logger.error({ err: err.message, url: req.url }, 'mcp-gateway request failed');
      if (!res.headersSent) json(res, 502, { jsonrpc: '2.0', error: { code: -32603, message: 'gateway error: the MCP server could not be reached' }, id: null });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: new URL(`http://${o.host}:${address.port}/mcp`),
    sessions: () => sessions.size,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((s) => s.proxy.close()));
      sessions.clear();
      upstreamFetch.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
