/**
 * The HTTP front (http.ts + httpRelay.ts) between the real SDK Client and a real McpServer behind the SDK's
 * StreamableHTTPServerTransport, in process (no Kafka: the hub is a stub whose kill-switch state the test
 * sets). What the relay itself decides: the session id the agent sees is the gateway's; a batch keeps its
 * allowed requests and answers the refused one without the server; a body the gateway cannot parse never
 * reaches the server; a call whose exchange ends unanswered is still reported; DELETE unbinds the session.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AgentHub } from '../../../services/mcp-gateway/agents.js';
import type { CallReport } from '../../../services/mcp-gateway/calls.js';
import { startHttpGateway, type HttpGateway } from '../../../services/mcp-gateway/http.js';
import { AgentTokens } from '../../../services/mcp-gateway/tokens.js';
import { compileToolActions } from '../../../shared/ingest/toolActions.js';
import { createLogger } from '../../../shared/logging/index.js';
import type { QuarantineCommand } from '../../../shared/schemas/generated.js';
import { KillSwitchState } from '../../../shared/telemetry/index.js';
import { createFixtureServer } from './fixtureServer.js';

const TOKEN = 'relay-test-token-0123456789abcdef';
const mapper = compileToolActions({ version: 1, tools: [{ action: 'email.send', names: ['send_email'] }, { action: 'data.read', patterns: ['get_*'] }] });
const logger = createLogger('test', { level: 'silent' });

let state: KillSwitchState;
const reports: CallReport[] = [];
const serverCalls: string[] = [];
const upstreamSessionIds: string[] = [];
let hang: (() => void) | null = null;
let upstream: Server;
let gateway: HttpGateway;

/** The fixture server over Streamable HTTP: one McpServer and transport per session, as a real server runs. */
async function startUpstream(): Promise<Server> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const server = createServer((req, res) => {
    void (async () => {
      const id = req.headers['mcp-session-id'];
      if (req.method === 'POST' && req.url === '/mcp/hang') {
        // An exchange the server never answers, then drops: the call must still be reported.
        hang = () => res.destroy();
        req.resume();
        return;
      }
      let t = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!t) {
        const fresh: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sid) => {
            sessions.set(sid, fresh);
            upstreamSessionIds.push(sid);
          },
          onsessionclosed: (sid) => void sessions.delete(sid),
        });
        await createFixtureServer((tool) => void serverCalls.push(tool)).connect(fresh);
        t = fresh;
      }
      await t.handleRequest(req, res);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

async function startGateway(path = '/mcp'): Promise<HttpGateway> {
  const guard = { check: (c: string) => state.check(c, Date.now()), report: (r: CallReport) => void reports.push(r) };
  const hub = { guardFor: () => guard, telemetry: () => ({ state: () => state.check('*', Date.now()).state, onStateChange: () => () => undefined }) } as unknown as AgentHub;
  const upstreamUrl = new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}${path}`);
  return startHttpGateway({ hub, tokens: new AgentTokens([{ agentId: 'relay-agent', token: TOKEN }], 'test'), mapper, upstreamUrl, serverName: 'fx', host: '127.0.0.1', port: 0, maxBodyBytes: 64 * 1024, logger });
}

async function connect(g: HttpGateway): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(g.url, { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
  const client = new Client({ name: 'relay-test', version: '1' });
  await client.connect(transport);
  return { client, transport };
}

const post = (g: HttpGateway, sessionId: string, body: string) => fetch(g.url, {
  method: 'POST',
  headers: { authorization: `Bearer ${TOKEN}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body,
});

/** The JSON-RPC messages of an answer, JSON or SSE. */
async function messages(res: Response): Promise<{ id?: unknown; result?: { isError?: boolean; content?: { text: string }[] }; error?: { code: number } }[]> {
  const text = await res.text();
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return [JSON.parse(text)].flat();
  return text.split('\n').filter((l) => l.startsWith('data: ')).flatMap((l) => [JSON.parse(l.slice(6))].flat());
}

const cmd = (over: Partial<QuarantineCommand>): QuarantineCommand => ({ commandId: `c-${Math.random()}`, agentId: 'relay-agent', type: 'QUARANTINE', revokedCapabilities: [], reason: 'test', alertIds: [], issuedBy: 't', issuedAt: Date.now(), expiresAt: null, ...over });

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});
beforeEach(() => {
  state = new KillSwitchState();
  state.caughtUp = true;
  reports.length = 0;
  serverCalls.length = 0;
});

describe('mcp-gateway HTTP relay', () => {
  it('the agent sees the gateway\'s session id, not the server\'s; calls pass and are reported under it; DELETE unbinds it', async () => {
    const { client, transport } = await connect(gateway);
    const r = await client.callTool({ name: 'get_weather', arguments: { city: 'Lyon' } });
    expect((r.content as { text: string }[])[0]!.text).toBe('sunny in Lyon');
    expect(transport.sessionId).toBeDefined();
    expect(upstreamSessionIds).not.toContain(transport.sessionId);
    expect(reports).toEqual([expect.objectContaining({ outcome: 'SUCCESS', sessionId: transport.sessionId, call: expect.objectContaining({ capability: 'data.read' }) })]);
    expect(gateway.sessions()).toBe(1);
    await transport.terminateSession();
    expect(gateway.sessions()).toBe(0);
    await client.close();
  });

  it('a batch: the refused request is answered by the gateway, the allowed one by the server, which never sees the refused one', async () => {
    const { client, transport } = await connect(gateway);
    state.apply(cmd({ type: 'THROTTLE', revokedCapabilities: ['email.send'] }));
    const res = await post(gateway, transport.sessionId!, JSON.stringify([
      { jsonrpc: '2.0', id: 'e', method: 'tools/call', params: { name: 'send_email', arguments: { to: 'x@example.com', body: 'hi' } } },
      { jsonrpc: '2.0', id: 'w', method: 'tools/call', params: { name: 'get_weather', arguments: { city: 'Metz' } } },
    ]));
    const byId = new Map((await messages(res)).map((m) => [m.id, m]));
    expect(byId.get('e')?.result?.isError).toBe(true);
    expect(byId.get('e')?.result?.content?.[0]?.text).toMatch(/capability email.send is revoked/);
    expect(byId.get('w')?.result?.content?.[0]?.text).toBe('sunny in Metz');
    expect(serverCalls).toEqual(['get_weather']);
    expect(reports.map((r) => [r.call.name, r.outcome]).sort()).toEqual([['get_weather', 'SUCCESS'], ['send_email', 'DENIED']]);
    await client.close();
  });

  it('a body the gateway cannot parse is refused (-32700) and never forwarded', async () => {
    const { client, transport } = await connect(gateway);
    state.apply(cmd({ type: 'QUARANTINE' }));
    for (const body of ['\uFEFF{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"send_email"}}', '[]', '[1]', 'null']) {
      const res = await post(gateway, transport.sessionId!, body);
      expect(res.status).toBe(400);
      expect((await res.json() as { error: { code: number } }).error.code).toBe(-32700);
    }
    expect(serverCalls).toEqual([]);
    await client.close();
  });

  it('a guarded method without an id is answered by the gateway (-32600, DENIED), not passed to the server as a notification', async () => {
    const { client, transport } = await connect(gateway);
    // Forwarded, the server would take it as a notification (202, nothing reported); a lenient one might run it.
    const res = await post(gateway, transport.sessionId!, '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"send_email","arguments":{"to":"x@example.com","body":"hi"}}}');
    expect(res.status).toBe(200);
    expect(await messages(res)).toEqual([expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) })]);
    expect(serverCalls).toEqual([]);
    expect(reports).toEqual([expect.objectContaining({ outcome: 'DENIED', call: expect.objectContaining({ name: 'send_email' }) })]);
    await client.close();
  });

  it('a forwarded call whose exchange ends with no answer is reported as ERROR, not lost', async () => {
    const g = await startGateway('/mcp/hang');
    try {
      const res = fetch(g.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_weather', arguments: { city: 'Gent' } } }),
      }).then((r) => r.text(), () => 'dropped');
      const deadline = Date.now() + 5000;
      while (!hang && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      expect(hang).not.toBeNull();
      hang!();
      await res;
      expect(reports).toEqual([expect.objectContaining({ outcome: 'ERROR', call: expect.objectContaining({ name: 'get_weather' }) })]);
    } finally {
      await g.close();
    }
  });
});
