/**
 * The MCP gateway over Streamable HTTP on the real stack: the real SDK Client talks to the gateway with
 * an agent's bearer token, the gateway to a real MCP server from npm behind it:
 * @modelcontextprotocol/server-filesystem on a temporary folder. That server speaks stdio only, so
 * test/support/mcpFilesystem.ts puts it behind the SDK's StreamableHTTPServerTransport (one server process
 * per HTTP session, messages passed unchanged). Tokens name agents (a wrong one is 401, another agent's
 * session is not reachable); the state API and its SSE stream follow signed commands; a QUARANTINE refuses
 * calls before the server sees them (a refused write_file leaves no file); a feed that cannot be read fails closed.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import { CommandSigner, Keyring, loadCommandSigner } from '../../shared/signing/index.js';
import { runHttp, type RunningGateway } from '../../services/mcp-gateway/main.js';
import { command, publishCommands } from '../support/commands.js';
import { readTopic } from '../support/detector.js';
import { startFilesystemHttp, type FilesystemHttpServer } from '../support/mcpFilesystem.js';
import { createRegistry } from '../../shared/registry/index.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { eventually, isolatedConfig, provisionTopics, testLogger, uniqueSuffix } from '../support/stack.js';

const keyring = new Keyring({ 'attester:mcp-gateway': { gw1: 'mcp-gateway-attester-secret-0123456789' } });
const A = `http-agent-a-${uniqueSuffix()}`;
const B = `http-agent-b-${uniqueSuffix()}`;
const TOKEN_A = `tok-a-${randomUUID()}`;
const TOKEN_B = `tok-b-${randomUUID()}`;
const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-http-'));
const tokensFile = join(dir, 'tokens.json');
writeFileSync(tokensFile, JSON.stringify([{ agentId: A, token: TOKEN_A, agentRole: 'support' }, { agentId: B, token: TOKEN_B }]), { mode: 0o600 });

// The folder the filesystem server serves: a file there is the server's own record that a write reached it.
const served = mkdtempSync(join(tmpdir(), 'warden-mcp-http-fs-'));
writeFileSync(join(served, 'readme.md'), '# docs\n');
let upstream: FilesystemHttpServer;
let upstreamUrl: string;
const gateways: RunningGateway[] = [];
const clients: Client[] = [];

function gatewayConfig(label: string, failClosedAfterMs = 30_000): WardenConfig {
  const c = isolatedConfig(label);
  return { ...c, mcpGateway: { ...c.mcpGateway, serverName: 'filesystem', failClosedAfterMs, http: { ...c.mcpGateway.http, port: 0, tokensFile, upstreamUrl } } };
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
const write = (client: Client, name: string) => client.callTool({ name: 'write_file', arguments: { path: join(served, name), content: name } });
const wrote = (name: string) => existsSync(join(served, name));
const readme = (client: Client) => client.callTool({ name: 'read_text_file', arguments: { path: join(served, 'readme.md') } });

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
    upstream = await startFilesystemHttp(served);
    upstreamUrl = upstream.url.href;
    config = gatewayConfig('mcp-http');
    gateway = await startGateway(config);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(gateways.map((g) => g.stop()));
    await upstream?.close();
  });

  it('a call with the agent\'s token passes and is reported under that agent with the MCP session id', async () => {
    const { client, transport } = await connect(gateway, TOKEN_A);
    expect(text(await write(client, 'lyon.txt'))).toMatch(/Successfully wrote/);
    expect(readFileSync(join(served, 'lyon.txt'), 'utf8')).toBe('lyon.txt');
    const registry = createRegistry(config);
    const [m] = await readTopic(config, config.topics.events.name, 1, 20_000);
    const event = (await registry.decode(m!.value!)) as AgentActionEvent;
    expect(event).toMatchObject({ agentId: A, agentRole: 'support', action: 'data.write', resource: 'filesystem/write_file', outcome: 'SUCCESS' });
    expect(event.sessionId).toBe(transport.sessionId);
    expect(m!.key?.toString()).toBe(A);
  });

  it('refuses a missing or wrong token (401) and another agent\'s session (404); nothing reaches the server', async () => {
    await expect(connect(gateway, 'not-a-token-0000000000000000')).rejects.toThrow(/a valid bearer token is required/);
    const noAuth = await fetch(gateway.http!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const { transport } = await connect(gateway, TOKEN_A);
    const hijack = await fetch(gateway.http!.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN_B}`, 'mcp-session-id': transport.sessionId!, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'write_file', arguments: { path: join(served, 'hijack.txt'), content: 'x' } } }),
    });
    expect(hijack.status).toBe(404);
    expect(wrote('hijack.txt')).toBe(false);
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
    const refused = await write(client, 'nice.txt');
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/quarantined/);
    expect(wrote('nice.txt')).toBe(false);
    // Agent B is not quarantined: its calls still pass.
    const b = await connect(gateway, TOKEN_B);
    expect(text(await write(b.client, 'metz.txt'))).toMatch(/Successfully wrote/);
    expect(wrote('metz.txt')).toBe(true);

    await publishCommands(config, [command(A, { type: 'RELEASE', reason: 'ok' })]);
    await eventually(() => seen.at(-1)?.mode === 'ACTIVE', 15_000, 'ACTIVE again on the SSE stream');
    expect(text(await write(client, 'nice.txt'))).toMatch(/Successfully wrote/);
    expect(wrote('nice.txt')).toBe(true);
    ac.abort();
  });

  it('a forged command is ignored; THROTTLE hides and refuses the revoked tool before the server; RELEASE restores it', async () => {
    const { client } = await connect(gateway, TOKEN_A);
    const forger = CommandSigner.generate(loadCommandSigner(config, testLogger).kids()[0]!, 'fleet'); // same kid, another key
    // Issued later than the real command that follows: applied, it would hold and the THROTTLE would be stale.
    await publishCommands(config, [command(A, { type: 'QUARANTINE', reason: 'forged', issuedAt: Date.now() + 3_600_000 })], forger);
    await publishCommands(config, [command(A, { type: 'THROTTLE', revokedCapabilities: ['data.write'], reason: 'write spike' })]);
    const offered = await eventually(async () => {
      const names = (await client.listTools()).tools.map((t) => t.name);
      return names.length > 0 && !names.includes('write_file') ? names : undefined;
    }, 15_000, 'tools/list without write_file');
    // Not quarantined by the forged command: reads are offered and pass.
    expect(offered).toContain('read_text_file');
    expect(text(await readme(client))).toBe('# docs\n');
    const refused = await write(client, 'throttled.txt');
    expect(text(refused)).toMatch(/capability data.write is revoked/);
    expect(wrote('throttled.txt')).toBe(false);

    await publishCommands(config, [command(A, { type: 'RELEASE', reason: 'reviewed' })]);
    await eventually(async () => (await client.listTools()).tools.some((t) => t.name === 'write_file'), 15_000, 'write_file offered again');
    expect(text(await write(client, 'released.txt'))).toMatch(/Successfully wrote/);
    expect(wrote('released.txt')).toBe(true);
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
    expect(text(await readme(client))).toBe('# docs\n');
    // The feed goes away (topic deleted; the broker does not auto-create topics).
    const admin = createKafka(c, testLogger).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [c.topics.quarantine.name] });
    await admin.disconnect();
    const refused = await eventually(async () => {
      const r = await readme(client);
      return r.isError ? r : undefined;
    }, 20_000, 'a fail-closed refusal');
    expect(text(refused)).toMatch(/fail-closed/);
    expect((await write(client, 'gent.txt')).isError).toBe(true);
    expect(wrote('gent.txt')).toBe(false);
    const state = await (await fetch(stateUrl(g, A), { headers: { authorization: `Bearer ${TOKEN_A}` } })).json() as { mode: string };
    expect(state).toMatchObject({ mode: 'FEED_LOST', allowed: false });
  }, 40_000);
});
