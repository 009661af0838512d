/**
 * The MCP gateway over Streamable HTTP on the real stack: the real SDK Client talks to the gateway with
 * an agent's bearer token, the gateway to a real McpServer behind it. Tokens name agents (a wrong one is
 * 401, another agent's session is not reachable); the state API and its SSE stream follow signed commands;
 * a QUARANTINE refuses calls before the server sees them; a feed that cannot be read fails closed.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import { Keyring } from '../../shared/signing/index.js';
import { runHttp, type RunningGateway } from '../../services/mcp-gateway/main.js';
import { command, publishCommands } from '../support/commands.js';
import { readTopic } from '../support/detector.js';
import { createRegistry } from '../../shared/registry/index.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { eventually, isolatedConfig, provisionTopics, testLogger, uniqueSuffix } from '../support/stack.js';
import { createFixtureServer } from './mcp-gateway.fixture-server.js';

const keyring = new Keyring({ 'attester:mcp-gateway': { gw1: 'mcp-gateway-attester-secret-0123456789' } });
const A = `http-agent-a-${uniqueSuffix()}`;
const B = `http-agent-b-${uniqueSuffix()}`;
const TOKEN_A = `tok-a-${randomUUID()}`;
const TOKEN_B = `tok-b-${randomUUID()}`;
const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-http-'));
const tokensFile = join(dir, 'tokens.json');
writeFileSync(tokensFile, JSON.stringify([{ agentId: A, token: TOKEN_A, agentRole: 'support' }, { agentId: B, token: TOKEN_B }]), { mode: 0o600 });

const serverCalls: { tool: string; args: unknown }[] = [];
let upstream: Server;
let upstreamUrl: string;
const gateways: RunningGateway[] = [];
const clients: Client[] = [];

function gatewayConfig(label: string, failClosedAfterMs = 30_000): WardenConfig {
  const c = isolatedConfig(label);
  return { ...c, mcpGateway: { ...c.mcpGateway, serverName: 'fixture', failClosedAfterMs, http: { ...c.mcpGateway.http, port: 0, tokensFile, upstreamUrl } } };
}

async function startGateway(config: WardenConfig): Promise<RunningGateway> {
  await provisionTopics(config);
  const g = await runHttp({ config, keyring, logger: testLogger });
  gateways.push(g);
  return g;
}

async function connect(g: RunningGateway, token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(g.http!.url, { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'http-test-agent', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

const stateUrl = (g: RunningGateway, agentId: string, stream = false) => new URL(`/v1/agents/${encodeURIComponent(agentId)}/state${stream ? '/stream' : ''}`, g.http!.url);
const text = (r: unknown) => ((r as { content: { text: string }[] }).content[0]!.text);

/** Reads SSE `state` events from the stream into `into` until aborted. */
function followStream(res: Response, into: { mode: string }[]): void {
  const reader = res.body!.getReader();
  let buf = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += Buffer.from(value!).toString('utf8');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (frame.startsWith('event: state') && data) into.push(JSON.parse(data.slice(6)) as { mode: string });
      }
    }
  })();
}

describe('mcp-gateway over Streamable HTTP (real SDK client and server, real stack)', () => {
  let config: WardenConfig;
  let gateway: RunningGateway;

  beforeAll(async () => {
    // The server behind the gateway: stateless Streamable HTTP, one McpServer per request, as the SDK documents.
    upstream = createServer((req, res) => {
      const server = createFixtureServer((tool, args) => void serverCalls.push({ tool, args }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close().then(() => server.close()));
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
    config = gatewayConfig('mcp-http');
    gateway = await startGateway(config);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(gateways.map((g) => g.stop()));
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
  });

  it('a call with the agent\'s token passes and is reported under that agent with the MCP session id', async () => {
    const { client, transport } = await connect(gateway, TOKEN_A);
    expect(text(await client.callTool({ name: 'get_weather', arguments: { city: 'Lyon' } }))).toBe('sunny in Lyon');
    expect(serverCalls.at(-1)).toEqual({ tool: 'get_weather', args: { city: 'Lyon' } });
    const registry = createRegistry(config);
    const [m] = await readTopic(config, config.topics.events.name, 1, 20_000);
    const event = (await registry.decode(m!.value!)) as AgentActionEvent;
    expect(event).toMatchObject({ agentId: A, agentRole: 'support', action: 'data.read', resource: 'fixture/get_weather', outcome: 'SUCCESS' });
    expect(event.sessionId).toBe(transport.sessionId);
    expect(m!.key?.toString()).toBe(A);
  });

  it('refuses a missing or wrong token (401) and another agent\'s session (404); nothing reaches the server', async () => {
    const before = serverCalls.length;
    await expect(connect(gateway, 'not-a-token-0000000000000000')).rejects.toThrow(/a valid bearer token is required/);
    const noAuth = await fetch(gateway.http!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const { transport } = await connect(gateway, TOKEN_A);
    const hijack = await fetch(gateway.http!.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN_B}`, 'mcp-session-id': transport.sessionId!, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_weather', arguments: { city: 'Hijack' } } }),
    });
    expect(hijack.status).toBe(404);
    expect(serverCalls.length).toBe(before);
  });

  it('state API: own state with the right token, 403 for another agent, 401 for a wrong token; SSE follows QUARANTINE and RELEASE and the call is refused before the server', async () => {
    const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
    const own = await fetch(stateUrl(gateway, A), auth(TOKEN_A));
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ agentId: A, mode: 'ACTIVE', allowed: true });
    expect((await fetch(stateUrl(gateway, A), auth(TOKEN_B))).status).toBe(403);
    expect((await fetch(stateUrl(gateway, A), auth('wrong-token-000000000000000'))).status).toBe(401);
    expect((await fetch(stateUrl(gateway, A))).status).toBe(401);

    const ac = new AbortController();
    const stream = await fetch(stateUrl(gateway, A, true), { ...auth(TOKEN_A), signal: ac.signal });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const seen: { mode: string }[] = [];
    followStream(stream, seen);
    await eventually(() => seen[0]?.mode === 'ACTIVE', 5000, 'the first SSE state');

    const { client } = await connect(gateway, TOKEN_A);
    await publishCommands(config, [command(A, { type: 'QUARANTINE', reason: 'http test' })]);
    await eventually(() => seen.some((s) => s.mode === 'QUARANTINED'), 15_000, 'QUARANTINED on the SSE stream');
    const before = serverCalls.length;
    const refused = await client.callTool({ name: 'get_weather', arguments: { city: 'Nice' } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/quarantined/);
    expect(serverCalls.length).toBe(before);
    // Agent B is not quarantined: its calls still pass.
    const b = await connect(gateway, TOKEN_B);
    expect(text(await b.client.callTool({ name: 'get_weather', arguments: { city: 'Metz' } }))).toBe('sunny in Metz');

    await publishCommands(config, [command(A, { type: 'RELEASE', reason: 'ok' })]);
    await eventually(() => seen.at(-1)?.mode === 'ACTIVE', 15_000, 'ACTIVE again on the SSE stream');
    expect(text(await client.callTool({ name: 'get_weather', arguments: { city: 'Nice' } }))).toBe('sunny in Nice');
    ac.abort();
  });

  it('the README\'s standard-library Python client reads the state and follows a THROTTLE on the stream', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const code = /```python\n(# warden_state\.py[\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'the warden_state.py block in README.md').toBeDefined();
    const py = spawn('python3', ['-c', code!], { env: { ...process.env, WARDEN_GATEWAY: new URL('/', gateway.http!.url).href.slice(0, -1), WARDEN_AGENT_ID: B, WARDEN_AGENT_TOKEN: TOKEN_B } });
    const lines: string[] = [];
    let stderr = '';
    let partial = '';
    // A chunk may end mid-line: only complete lines count.
    py.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    });
    py.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await eventually(() => lines.length >= 2, 10_000, `the client's first lines (stderr: ${stderr})`);
      expect(lines[0]).toMatch(/"mode": "ACTIVE".* True$/);
      expect(lines[1]).toBe('ACTIVE ');
      await publishCommands(config, [command(B, { type: 'THROTTLE', revokedCapabilities: ['email.*'], reason: 'py test' })]);
      await eventually(() => lines.includes('THROTTLED py test'), 15_000, 'THROTTLED from the Python client').catch((err: Error) => {
        throw new Error(`${err.message}; client printed ${JSON.stringify(lines)}, stderr ${stderr}`);
      });
    } finally {
      py.kill();
    }
  });

  it('fails closed when agent.quarantine cannot be read for failClosedAfterMs', async () => {
    const c = gatewayConfig('mcp-failclosed', 1500);
    const g = await startGateway(c);
    const { client } = await connect(g, TOKEN_A);
    expect(text(await client.callTool({ name: 'get_weather', arguments: { city: 'Gent' } }))).toBe('sunny in Gent');
    // The feed goes away (topic deleted; the broker does not auto-create topics).
    const admin = createKafka(c, testLogger).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [c.topics.quarantine.name] });
    await admin.disconnect();
    const refused = await eventually(async () => {
      const r = await client.callTool({ name: 'get_weather', arguments: { city: 'Gent' } });
      return r.isError ? r : undefined;
    }, 20_000, 'a fail-closed refusal');
    expect(text(refused)).toMatch(/fail-closed/);
    const before = serverCalls.length;
    expect((await client.callTool({ name: 'send_email', arguments: { to: 'a@example.com', body: 'x' } })).isError).toBe(true);
    expect(serverCalls.length).toBe(before);
    const state = await (await fetch(stateUrl(g, A), { headers: { authorization: `Bearer ${TOKEN_A}` } })).json() as { mode: string };
    expect(state).toMatchObject({ mode: 'FEED_LOST', allowed: false });
  }, 40_000);
});
