/**
 * One agent request on the HTTP front, relayed to the MCP server as HTTP, not re-spoken through a pair of
 * SDK transports: the body the agent sent goes upstream as the same bytes (re-serialised only when a batch
 * lost a refused request), and the server's answer comes back in the server's own framing (a JSON body,
 * or an SSE stream whose events pass byte for byte unless the gateway changed their message). Only the
 * messages go through the CallInspector (refusals, tools/list filter, reports). Measured with
 * bench/mcp-latency.ts --gateway-cpu-prof: the two SDK transports (Request/Response objects, web streams,
 * zod on every message, a second stream parser) were most of the gateway's ~3 ms CPU per call.
 * The MCP server still validates every message it gets; the gateway parses each body first and refuses
 * (-32700) what it cannot parse, so nothing reaches the server that the gateway did not inspect.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { Logger } from '../../shared/logging/index.js';
import type { CallInspector, Msg } from './inspector.js';
import { inspectFromServer, isRequest, splitFromAgent, type AgentSplit } from './messages.js';
import { SseParser, sseEvent } from './sse.js';

/** The agent's headers that the server needs; never its credentials (the token is the gateway's). */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'mcp-protocol-version', 'last-event-id'] as const;
/** The server's headers the agent gets; the session id is the gateway's own (see http.ts). */
const RELAYED_RESPONSE_HEADERS = ['content-type', 'cache-control', 'allow'] as const;

export interface Upstream {
  url: URL;
  request(method: string, headers: OutgoingHttpHeaders): ReturnType<typeof httpRequest>;
  close(): void;
}

/**
 * One keep-alive socket pool for every session's requests to the server, Nagle off (a message is one write).
 * The URL is turned into request options once: given a URL, node:http converts it again on every request.
 */
export function createUpstream(url: URL): Upstream {
  const secure = url.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const target = { ...urlToHttpOptions(url), agent };
  return {
    url,
    request: (method, headers) => {
      const req = send({ ...target, method, headers });
      req.setNoDelay(true);
      return req;
    },
    close: () => agent.destroy(),
  };
}

export interface RelaySession {
  /** The id the agent knows the session by (the gateway's), null before the server opened one. */
  id: string | null;
  /** The server's id for it. */
  upstreamId: string | null;
  inspector: CallInspector;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  session: RelaySession;
  upstream: Upstream;
  logger: Logger;
  /** A POST's body and its messages (null for GET and DELETE); batch when the body was an array. */
  body: Buffer | null;
  messages: Msg[] | null;
  batch: boolean;
  /** The server opened a session on this exchange: bind it (http.ts), so session.id is set. */
  onOpened(upstreamId: string): void;
  /** The server says the session is gone (404, or DELETE done). */
  onGone(): void;
}

export function relay(x: Exchange): Promise<void> {
  const { refusals, forward } = splitFromAgent(x.session.inspector, x.messages ?? [], x.body?.length);
  const requestIds = forward.filter(isRequest).map((m) => m.id);
  if (x.messages && forward.length === 0) {
    writeJson(x.res, 200, x.batch ? refusals : refusals[0], x.session.id);
    return Promise.resolve();
  }
  const payload = x.body === null ? null : refusals.length === 0 ? x.body : Buffer.from(JSON.stringify(forward));

  const headers: OutgoingHttpHeaders = {};
  for (const h of FORWARDED_REQUEST_HEADERS) if (x.req.headers[h] !== undefined) headers[h] = x.req.headers[h];
  if (x.session.upstreamId) headers['mcp-session-id'] = x.session.upstreamId;
  if (payload) headers['content-length'] = payload.length;

  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = (why: string) => {
      if (finished) return;
      finished = true;
      // Every forwarded request is reported once: one the server never answered here is an ERROR.
      for (const id of requestIds) x.session.inspector.abandon(id, why);
      resolve();
    };
    const up = x.upstream.request(x.req.method ?? 'GET', headers);
    // The agent went away: the server's side of the exchange (an SSE stream) is of no use to anyone.
    x.res.once('close', () => {
      if (!x.res.writableFinished) up.destroy();
      finish('the agent closed the request before the answer');
    });
    up.once('error', (err) => {
      x.logger.warn({ err: err.message, method: x.req.method }, 'MCP server request failed');
      if (!x.res.headersSent) writeJson(x.res, 502, { jsonrpc: '2.0', error: { code: -32603, message: 'gateway error: the MCP server could not be reached' }, id: null });
      else x.res.destroy();
      finish('the MCP server could not be reached');
    });
    up.once('response', (ures) => {
      const status = ures.statusCode ?? 502;
      const sid = ures.headers['mcp-session-id'];
      if (typeof sid === 'string' && !x.session.upstreamId) x.onOpened(sid);
      if (x.session.upstreamId && (status === 404 || (x.req.method === 'DELETE' && status < 300))) x.onGone();
      const out: OutgoingHttpHeaders = {};
      for (const h of RELAYED_RESPONSE_HEADERS) if (ures.headers[h] !== undefined) out[h] = ures.headers[h];
      if (x.session.id) out['mcp-session-id'] = x.session.id;
      const type = String(ures.headers['content-type'] ?? '');
      if (status === 200 && type.startsWith('text/event-stream')) relayEvents(x, ures, out, refusals);
      else if (status === 200 && type.startsWith('application/json')) relayJson(x, ures, out, refusals);
      else if (refusals.length > 0 && status === 202) {
        // The server took the notifications; the agent still gets its refusals.
        ures.resume();
        writeJson(x.res, 200, refusals, x.session.id);
      } else {
        x.res.writeHead(status, out);
        ures.pipe(x.res);
      }
      // After the relay's own handlers, so the answers it reads are seen before what is left is abandoned.
      ures.once('error', () => finish('the MCP server\'s answer broke off'));
      ures.once('end', () => finish(`the MCP server's answer (HTTP ${status}) had no response to it`));
    });
    up.end(payload ?? undefined);
  });
}

/** The server's SSE stream, event by event; a batch of writes within one turn goes out as one socket write. */
function relayEvents(x: Exchange, ures: IncomingMessage, headers: OutgoingHttpHeaders, refusals: AgentSplit['refusals']): void {
  const parser = new SseParser();
  let queued = refusals.map((r) => sseEvent(r, null, 'message')).join('');
  let flush: NodeJS.Immediate | null = null;
  x.res.writeHead(200, headers);
  ures.on('data', (chunk: Buffer) => {
    for (const ev of parser.push(chunk)) queued += relayedEvent(x.session.inspector, ev);
    // After this turn, unless the stream ends in it: then end() carries headers, events and end in one write.
    if (queued && !flush) {
      flush = setImmediate(() => {
        flush = null;
        x.res.write(queued);
        queued = '';
      });
    }
  });
  ures.once('end', () => {
    if (flush) clearImmediate(flush);
    x.res.end(queued);
  });
  ures.once('error', () => x.res.destroy());
}

function relayedEvent(inspector: CallInspector, ev: { raw: string; data: string | null; id: string | null; event: string | null }): string {
  if (ev.data === null) return ev.raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(ev.data);
  } catch {
    // Not a message the gateway can read: not one it acts on either (an unanswered call is reported at the end).
    return ev.raw;
  }
  const [changed, message] = inspectFromServer(inspector, parsed, Buffer.byteLength(ev.data));
  return changed ? sseEvent(message, ev.id, ev.event) : ev.raw;
}

function relayJson(x: Exchange, ures: IncomingMessage, headers: OutgoingHttpHeaders, refusals: AgentSplit['refusals']): void {
  const chunks: Buffer[] = [];
  ures.on('data', (c: Buffer) => chunks.push(c));
  ures.once('end', () => {
    const body = Buffer.concat(chunks);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      x.res.writeHead(200, headers).end(body);
      return;
    }
    const [changed, message] = inspectFromServer(x.session.inspector, parsed, body.length);
    if (!changed && refusals.length === 0) {
      x.res.writeHead(200, headers).end(body);
      return;
    }
    const all = refusals.length === 0 ? message : [...refusals, ...(Array.isArray(message) ? message : [message])];
    x.res.writeHead(200, headers).end(JSON.stringify(all));
  });
}

export function writeJson(res: ServerResponse, status: number, body: unknown, sessionId: string | null = null): void {
  const headers: OutgoingHttpHeaders = { 'content-type': 'application/json' };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  res.writeHead(status, headers).end(JSON.stringify(body));
}
