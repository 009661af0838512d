/**
 * Streamable HTTP mode: the gateway is an MCP endpoint (`/mcp`) in front of the server URL, plus the
 * state API. Every request carries the agent's bearer token; the token names the agent (tokens.ts).
 * Requests are relayed to the server as HTTP (httpRelay.ts), their messages inspected on the way.
 * The gateway gives each MCP session its own id, mapped to the server's: the agent never sees the server's
 * id, and a session is bound to the agent that opened it, so another agent's token cannot ride on it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/logging/index.js';
import type { AgentHub } from './agents.js';
import type { ToolActionMapper } from './calls.js';
import { CallInspector, type Msg } from './inspector.js';
import { createUpstream, relay, writeJson, type RelaySession } from './httpRelay.js';
import { parseMessages, parseError } from './messages.js';
import { handleStateRequest, json } from './stateApi.js';
import { bearerToken, type AgentTokens } from './tokens.js';

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

interface Session extends RelaySession { agentId: string }

const MCP_METHODS = new Set(['POST', 'GET', 'DELETE']);
const MCP_PATH = '/mcp';

export async function startHttpGateway(o: HttpGatewayOptions): Promise<HttpGateway> {
  const sessions = new Map<string, Session>();
  const upstream = createUpstream(o.upstreamUrl);

  const newSession = (agentId: string): Session => {
    const s: Session = { agentId, id: null, upstreamId: null, inspector: null as unknown as CallInspector };
    s.inspector = new CallInspector({ serverName: o.serverName, mapper: o.mapper, guard: o.hub.guardFor(agentId), sessionId: () => s.id });
    return s;
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse, agentId: string): Promise<void> => {
    if (!MCP_METHODS.has(req.method ?? '')) {
      res.setHeader('allow', 'GET, POST, DELETE');
      json(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'method not allowed' }, id: null });
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    let session: Session;
    if (typeof sessionId === 'string') {
      const s = sessions.get(sessionId);
      // Unknown, or opened by another agent: the same answer, so a token cannot probe others' sessions.
      if (!s || s.agentId !== agentId) {
        req.resume();
        writeJson(res, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'session not found' }, id: null });
        return;
      }
      session = s;
    } else {
      // No session yet (an initialize, or a stateless server): the server decides; one it opens is bound here.
      session = newSession(agentId);
    }
    let body: Buffer | null = null;
    let messages: Msg[] | null = null;
    let batch = false;
    if (req.method === 'POST') {
      body = await readBody(req, o.maxBodyBytes);
      if (body === null) {
        writeJson(res, 413, { jsonrpc: '2.0', error: { code: -32600, message: `body larger than ${o.maxBodyBytes} bytes` }, id: null });
        return;
      }
      const parsed = parseMessages(body.toString('utf8'));
      if (!parsed) {
        writeJson(res, 400, parseError('the body'));
        return;
      }
      ({ messages, batch } = parsed);
    }
    await relay({
      req, res, session, upstream, logger: o.logger, body, messages, batch,
      onOpened: (upstreamId) => {
        session.upstreamId = upstreamId;
        session.id = randomUUID();
        sessions.set(session.id, session);
      },
      onGone: () => {
        if (session.id) sessions.delete(session.id);
      },
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The MCP endpoint's own path needs no URL parsing (a URL object per call, for the one path every call uses).
    const path = req.url === MCP_PATH ? MCP_PATH : new URL(req.url ?? '/', 'http://gateway').pathname;
    const agent = o.tokens.agentFor(bearerToken(req.headers.authorization));
    if (!agent) {
      req.resume();
      json(res, 401, { error: 'a valid bearer token is required' }, { 'www-authenticate': 'Bearer realm="agent-warden"' });
      return;
    }
    if (handleStateRequest(req, res, path, agent.agentId, o.hub)) return;
    if (path !== MCP_PATH) {
      req.resume();
      json(res, 404, { error: 'not found: the MCP endpoint is /mcp, the state API /v1/agents/{id}/state' });
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > o.maxBodyBytes) {
      req.resume();
      json(res, 413, { error: `body larger than ${o.maxBodyBytes} bytes` });
      return;
    }
    await handleMcp(req, res, agent.agentId);
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
    url: new URL(`http://${o.host}:${address.port}${MCP_PATH}`),
    sessions: () => sessions.size,
    close: async () => {
      sessions.clear();
      // Open exchanges (SSE streams) end here; their unanswered calls are reported as they end.
      upstream.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The body, or null once it passes maxBytes (the rest is drained, not kept). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
    });
    req.once('end', () => resolve(size > maxBytes ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
