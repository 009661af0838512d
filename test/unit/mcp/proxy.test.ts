/** McpProxy between the real SDK Client and a real McpServer, joined by the SDK's in-memory transports. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallReport } from '../../../services/mcp-gateway/calls.js';
import { McpProxy } from '../../../services/mcp-gateway/proxy.js';
import { compileToolActions } from '../../../shared/ingest/toolActions.js';
import { createLogger } from '../../../shared/logging/index.js';
import type { QuarantineCommand } from '../../../shared/schemas/generated.js';
import { KillSwitchState } from '../../../shared/telemetry/index.js';
import { createFixtureServer } from './fixtureServer.js';

const mapper = compileToolActions({ version: 1, tools: [{ action: 'email.send', names: ['send_email'] }, { action: 'net.egress', names: ['fetch_url'] }, { action: 'data.read', patterns: ['get_*'] }] });
const cmd = (over: Partial<QuarantineCommand>): QuarantineCommand => ({ commandId: `c-${Math.random()}`, agentId: 'a', type: 'QUARANTINE', revokedCapabilities: [], reason: 'test', alertIds: [], issuedBy: 't', issuedAt: Date.now(), expiresAt: null, ...over });

describe('McpProxy', () => {
  let state: KillSwitchState;
  let reports: CallReport[];
  let serverCalls: string[];
  let client: Client;
  let proxy: McpProxy;

  beforeEach(async () => {
    state = new KillSwitchState();
    state.caughtUp = true;
    reports = [];
    serverCalls = [];
    const server = createFixtureServer((tool) => void serverCalls.push(tool));
    const [agentEnd, gatewayAgentSide] = InMemoryTransport.createLinkedPair();
    const [gatewayServerSide, serverEnd] = InMemoryTransport.createLinkedPair();
    await server.connect(serverEnd);
    proxy = new McpProxy(gatewayAgentSide, gatewayServerSide, {
      serverName: 'fx', mapper, logger: createLogger('test', { level: 'silent' }), sessionId: () => 'sess-1',
      guard: { check: (c) => state.check(c, Date.now()), report: (r) => void reports.push(r) },
    });
    await proxy.start();
    client = new Client({ name: 'unit', version: '1' });
    await client.connect(agentEnd);
  });

  afterEach(async () => {
    await client.close();
    await proxy.close();
  });

  it('passes an allowed call and reports it with its outcome, latency and session', async () => {
    const r = await client.callTool({ name: 'fetch_url', arguments: { url: 'https://x.example.com/fail' } });
    expect(r.isError).toBe(true);
    expect(serverCalls).toEqual(['fetch_url']);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ outcome: 'ERROR', serverName: 'fx', sessionId: 'sess-1', call: { capability: 'net.egress' } });
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
    expect(serverCalls).toEqual([]);
    expect((await client.listTools()).tools).toEqual([]);
    expect(reports).toEqual([expect.objectContaining({ outcome: 'DENIED', detail: expect.stringMatching(/quarantined: bad agent/) })]);
  });

  it('THROTTLE: only revoked tools are hidden and refused; resources/read gets a JSON-RPC error', async () => {
    state.apply(cmd({ type: 'THROTTLE', revokedCapabilities: ['email.*', 'data.read'] }));
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['fetch_url']);
    expect((await client.callTool({ name: 'send_email', arguments: { to: 'a', body: 'b' } })).isError).toBe(true);
    await expect(client.readResource({ uri: 'file:///x' })).rejects.toThrow(/capability data\.read is revoked/);
    expect(serverCalls).toEqual([]);
    await client.callTool({ name: 'fetch_url', arguments: { url: 'https://ok.example.com' } });
    expect(serverCalls).toEqual(['fetch_url']);
  });

  it('not caught up yet (STARTING) refuses: the safe side', async () => {
    state.caughtUp = false;
    expect((await client.callTool({ name: 'get_weather', arguments: { city: 'x' } })).isError).toBe(true);
    expect(serverCalls).toEqual([]);
  });
});
