/**
 * The stdio relay between the real SDK Client and a real McpServer, each on the SDK's stdio transport over
 * in-memory streams (the same framing as the pipes of `warden mcp-gateway stdio`), and on the raw wire.
 * What the relay itself decides: refusals answered without the server, tools/list filtered, every call
 * reported; lines forwarded as the bytes that came in; unparseable lines answered -32700 and never forwarded;
 * a batch keeps its allowed requests; a full destination stops the reading of the side that feeds it.
 */
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallReport } from '../../../services/mcp-gateway/calls.js';
import { CallInspector } from '../../../services/mcp-gateway/inspector.js';
import { StdioRelay } from '../../../services/mcp-gateway/stdioRelay.js';
import { compileToolActions } from '../../../shared/ingest/toolActions.js';
import { createLogger } from '../../../shared/logging/index.js';
import type { QuarantineCommand } from '../../../shared/schemas/generated.js';
import { KillSwitchState } from '../../../shared/telemetry/index.js';
import { createFixtureServer } from './fixtureServer.js';

const mapper = compileToolActions({ version: 1, tools: [{ action: 'email.send', names: ['send_email'] }, { action: 'net.egress', names: ['fetch_url'] }, { action: 'data.read', patterns: ['get_*'] }] });
const logger = createLogger('test', { level: 'silent' });
const cmd = (over: Partial<QuarantineCommand>): QuarantineCommand => ({ commandId: `c-${Math.random()}`, agentId: 'a', type: 'QUARANTINE', revokedCapabilities: [], reason: 'test', alertIds: [], issuedBy: 't', issuedAt: Date.now(), expiresAt: null, ...over });
const call = (id: number | string, name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

let state: KillSwitchState;
let reports: CallReport[];

/** Lines as they pass a stream, and a wait for the next one that matches. */
class Tap {
  readonly lines: string[] = [];
  #buffered = '';
  #waiters: { pred: (l: string) => boolean; nth: number; resolve: (l: string) => void }[] = [];

  constructor(stream: PassThrough) {
    stream.on('data', (c: Buffer) => {
      this.#buffered += c.toString('utf8');
      for (let nl = this.#buffered.indexOf('\n'); nl !== -1; nl = this.#buffered.indexOf('\n')) {
        const line = this.#buffered.slice(0, nl + 1);
        this.#buffered = this.#buffered.slice(nl + 1);
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => (w.pred(line) && --w.nth === 0 ? (w.resolve(line), false) : true));
      }
    });
  }

  /** The nth line (from the first) that matches, now or when it passes. */
  next(pred: (line: string) => boolean, nth = 1): Promise<string> {
    const seen = this.lines.filter(pred);
    if (seen.length >= nth) return Promise.resolve(seen[nth - 1]!);
    return new Promise((resolve) => this.#waiters.push({ pred, nth: nth - seen.length, resolve }));
  }
}

interface Wire { agentIn: PassThrough; agentOut: PassThrough; serverIn: PassThrough; serverOut: PassThrough; toAgent: Tap; toServer: Tap; fromServer: Tap; serverCalls: string[] }

/** The fixture server on its own stdio transport, the relay in front of it; nothing on the agent's side yet. */
async function wire(): Promise<Wire> {
  const w = { agentIn: new PassThrough(), agentOut: new PassThrough(), serverIn: new PassThrough(), serverOut: new PassThrough(), serverCalls: [] as string[] };
  const taps = { toAgent: new Tap(w.agentOut), toServer: new Tap(w.serverIn), fromServer: new Tap(w.serverOut) };
  await createFixtureServer((tool) => void w.serverCalls.push(tool)).connect(new StdioServerTransport(w.serverIn, w.serverOut));
  const inspector = new CallInspector({
    serverName: 'fx', mapper, sessionId: () => 'stdio-1',
    guard: { check: (c) => state.check(c, Date.now()), report: (r) => void reports.push(r) },
  });
  new StdioRelay({ inspector, logger, agentIn: w.agentIn, agentOut: w.agentOut, serverIn: w.serverIn, serverOut: w.serverOut }).start();
  return { ...w, ...taps };
}

/** A line the agent writes, and the answer to the request `id` it waits for. */
async function exchange(w: Wire, line: string, id: number | string): Promise<Record<string, unknown>> {
  w.agentIn.write(line);
  return JSON.parse(await w.toAgent.next((l) => (JSON.parse(l) as { id?: unknown }).id === id)) as Record<string, unknown>;
}

beforeEach(() => {
  state = new KillSwitchState();
  state.caughtUp = true;
  reports = [];
});

describe('stdio relay with the SDK client', () => {
  let w: Wire;
  let client: Client;

  beforeEach(async () => {
    w = await wire();
    client = new Client({ name: 'unit', version: '1' });
    // The SDK's stdio framing over the agent's two streams: it reads what the gateway writes to the agent.
    await client.connect(new StdioServerTransport(w.agentOut, w.agentIn));
  });

  afterEach(async () => {
    await client.close();
  });

  it('passes an allowed call and reports it with its outcome, latency and session', async () => {
    const r = await client.callTool({ name: 'fetch_url', arguments: { url: 'https://x.example.com/fail' } });
    expect(r.isError).toBe(true);
    expect(w.serverCalls).toEqual(['fetch_url']);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ outcome: 'ERROR', serverName: 'fx', sessionId: 'stdio-1', call: { capability: 'net.egress' } });
    expect(reports[0]!.latencyMs).toBeGreaterThan(0);
    expect(reports[0]!.bytesOut).toBeGreaterThan(0);
    expect(reports[0]!.bytesIn).toBeGreaterThan(0);
  });

  it('a protocol error from the server (unknown tool) is outcome ERROR', async () => {
    await client.callTool({ name: 'no_such_tool', arguments: {} }).catch(() => undefined);
    expect(reports.at(-1)?.outcome).toBe('ERROR');
  });

  it('QUARANTINE: refused before the server, tools/list empty, DENIED reported with the reason', async () => {
    state.apply(cmd({ type: 'QUARANTINE', reason: 'bad agent' }));
    const r = await client.callTool({ name: 'get_weather', arguments: { city: 'x' } });
    expect(r.isError).toBe(true);
    expect(w.serverCalls).toEqual([]);
    expect((await client.listTools()).tools).toEqual([]);
    expect(reports).toEqual([expect.objectContaining({ outcome: 'DENIED', detail: expect.stringMatching(/quarantined: bad agent/) })]);
  });

  it('THROTTLE: only revoked tools are hidden and refused; resources/read gets a JSON-RPC error', async () => {
    state.apply(cmd({ type: 'THROTTLE', revokedCapabilities: ['email.*', 'data.read'] }));
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['fetch_url']);
    expect((await client.callTool({ name: 'send_email', arguments: { to: 'a', body: 'b' } })).isError).toBe(true);
    await expect(client.readResource({ uri: 'file:///x' })).rejects.toThrow(/capability data\.read is revoked/);
    expect(w.serverCalls).toEqual([]);
    await client.callTool({ name: 'fetch_url', arguments: { url: 'https://ok.example.com' } });
    expect(w.serverCalls).toEqual(['fetch_url']);
  });

  it('not caught up yet (STARTING) refuses: the safe side', async () => {
    state.caughtUp = false;
    expect((await client.callTool({ name: 'get_weather', arguments: { city: 'x' } })).isError).toBe(true);
    expect(w.serverCalls).toEqual([]);
  });
});

describe('stdio relay on the wire', () => {
  it('forwards the agent\'s line and the server\'s answer as the bytes that came in', async () => {
    const w = await wire();
    // Spacing and key order no serialiser would produce: a re-serialised line would not match.
    const line = '{ "method" : "tools/call", "params": {"arguments": {"city": "Lyon"}, "name": "get_weather"}, "id": 7, "jsonrpc": "2.0" }\n';
    const answer = await exchange(w, line, 7);
    expect((answer.result as { content: { text: string }[] }).content[0]!.text).toBe('sunny in Lyon');
    expect(w.toServer.lines).toEqual([line]);
    expect(w.toAgent.lines).toEqual(w.fromServer.lines);
  });

  it('a line that is not a JSON-RPC message or batch is answered -32700 and never reaches the server', async () => {
    const w = await wire();
    const bad = ['{"jsonrpc":"2.0","id":1,"method":"tools/call"', '42', '[]', '[{"jsonrpc":"2.0","id":2,"method":"ping"}, 3]'];
    for (const [i, line] of bad.entries()) {
      w.agentIn.write(`${line}\n`);
      expect(JSON.parse(await w.toAgent.next((l) => l.includes('-32700'), i + 1))).toMatchObject({ id: null, error: { code: -32700 } });
    }
    // A blank line is no message and needs no answer; a request after it passes.
    await exchange(w, '\n{"jsonrpc":"2.0","id":"p","method":"ping"}\n', 'p');
    expect(w.toAgent.lines.filter((l) => l.includes('-32700'))).toHaveLength(4);
    expect(w.toServer.lines).toEqual(['{"jsonrpc":"2.0","id":"p","method":"ping"}\n']);
  });

  it('a guarded method without an id is refused (-32600, DENIED) and never reaches the server, even while the agent is active', async () => {
    const w = await wire();
    // A lenient server would run these as calls: unchecked and unreported if they passed.
    const noId = ['{"jsonrpc":"2.0","method":"tools/call","params":{"name":"send_email","arguments":{"to":"x@example.com","body":"hi"}}}', '{"jsonrpc":"2.0","id":null,"method":"resources/read","params":{"uri":"file:///etc/passwd"}}'];
    for (const [i, line] of noId.entries()) {
      w.agentIn.write(`${line}\n`);
      expect(JSON.parse(await w.toAgent.next((l) => l.includes('-32600'), i + 1))).toMatchObject({ id: null, error: { code: -32600 } });
    }
    await exchange(w, '{"jsonrpc":"2.0","id":"p","method":"ping"}\n', 'p');
    expect(w.toServer.lines).toEqual(['{"jsonrpc":"2.0","id":"p","method":"ping"}\n']);
    expect(reports.map((r) => [r.call.name, r.outcome])).toEqual([['send_email', 'DENIED'], ['file:///etc/passwd', 'DENIED']]);
  });

  it('a batch keeps its allowed requests: the refused one is answered by the gateway, as a batch, and never forwarded', async () => {
    const w = await wire();
    state.apply(cmd({ type: 'THROTTLE', revokedCapabilities: ['email.send'] }));
    const allowed = call('w', 'get_weather', { city: 'Metz' });
    w.agentIn.write(`${JSON.stringify([call('e', 'send_email', { to: 'x@example.com', body: 'hi' }), allowed, { jsonrpc: '2.0', method: 'notifications/progress', params: {} }])}\n`);
    const refusals = JSON.parse(await w.toAgent.next(() => true)) as { id: string; result: { isError: boolean; content: { text: string }[] } }[];
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ id: 'e', result: { isError: true } });
    expect(refusals[0]!.result.content[0]!.text).toMatch(/capability email.send is revoked/);
    const forwarded = JSON.parse(await w.toServer.next(() => true)) as unknown[];
    expect(forwarded).toEqual([allowed, { jsonrpc: '2.0', method: 'notifications/progress', params: {} }]);
    expect(reports.map((r) => [r.call.name, r.outcome])).toEqual([['send_email', 'DENIED']]);
  });

  it('a line from the server that the gateway cannot read is not passed on; the next one is', async () => {
    const w = await wire();
    w.serverOut.write('debug: server started\n{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"ok"}}\n');
    expect(await w.toAgent.next(() => true)).toMatch(/notifications\/message/);
    expect(w.toAgent.lines).toHaveLength(1);
  });
});

describe('stdio relay backpressure', () => {
  it('stops reading the agent while the server\'s stdin is full, and reads again once it drains', async () => {
    const held: (() => void)[] = [];
    let wrote!: () => void;
    const firstWrite = new Promise<void>((r) => (wrote = r));
    const serverIn = new Writable({ highWaterMark: 1, write: (_chunk, _enc, done) => { held.push(done); wrote(); } });
    const agentIn = new PassThrough();
    const inspector = new CallInspector({ serverName: 'fx', mapper, sessionId: () => null, guard: { check: (c) => state.check(c, Date.now()), report: () => undefined } });
    new StdioRelay({ inspector, logger, agentIn, agentOut: new PassThrough(), serverIn, serverOut: new PassThrough() }).start();
    agentIn.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    await firstWrite;
    expect(agentIn.isPaused()).toBe(true);
    const drained = once(serverIn, 'drain');
    held.shift()!();
    await drained;
    expect(agentIn.isPaused()).toBe(false);
  });
});
