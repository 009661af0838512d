/**
 * The MCP gateway over stdio, end to end on the real stack: the real SDK Client launches `warden mcp-gateway
 * stdio`, which launches a real McpServer (the fixture). Calls pass and become attested events on
 * agent.events; a responder-signed QUARANTINE refuses the next call before the server sees it (asserted on
 * the server's own log); a forged command changes nothing; THROTTLE hides and refuses revoked tools; RELEASE restores.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createKafka, type Consumer } from '../../shared/kafka/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { CommandSigner, Keyring, PROVENANCE_ATTRIBUTE, loadCommandSigner, verifySignature } from '../../shared/signing/index.js';
import { command, publishCommands } from '../support/commands.js';
import { eventually, isolatedConfig, provisionTopics, testLogger, uniqueSuffix } from '../support/stack.js';

const config = isolatedConfig('mcp-stdio');
const AGENT = `mcp-agent-${uniqueSuffix()}`;
const keyringData = { 'attester:mcp-gateway': { gw1: 'mcp-gateway-attester-secret-0123456789' } };
const keyring = new Keyring(keyringData);
const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-'));
const serverLog = join(dir, 'calls.jsonl');

interface Received { event: AgentActionEvent; verification: string; attester: string | undefined }
const received: Received[] = [];
let consumer: Consumer;
let client: Client;

function serverCalls(): { tool: string; args: unknown }[] {
  if (!existsSync(serverLog)) return [];
  return readFileSync(serverLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tool: string; args: unknown });
}

const text = (r: unknown) => ((r as { content: { text: string }[] }).content[0]!.text);

async function eventFor(pred: (e: AgentActionEvent) => boolean, what: string): Promise<Received> {
  return eventually(() => received.find((r) => pred(r.event)), 20_000, what);
}

describe('mcp-gateway over stdio (real SDK client, real MCP server, real stack)', () => {
  beforeAll(async () => {
    await provisionTopics(config);
    const registry = createRegistry(config);
    consumer = createKafka(config, testLogger).consumer({ groupId: `mcp-reader-${uniqueSuffix()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.events.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const event = (await registry.decode(message.value!)) as AgentActionEvent;
        received.push({ event, verification: verifySignature(keyring, event.agentId, message.value!, message.headers), attester: message.headers?.['warden-attester']?.toString() });
      },
    });
    client = new Client({ name: 'test-agent', version: '1.0.0' });
    await client.connect(new StdioClientTransport({
      command: 'npx',
      args: ['tsx', 'cli/warden.ts', 'mcp-gateway', 'stdio', '--', 'npx', 'tsx', 'test/integration/mcp-gateway.fixture-server.ts'],
      stderr: 'inherit',
      env: {
        ...(process.env as Record<string, string>),
        WARDEN_KEYRING: JSON.stringify(keyringData),
        WARDEN_TOPIC_EVENTS: config.topics.events.name,
        WARDEN_TOPIC_QUARANTINE: config.topics.quarantine.name,
        WARDEN_TOPIC_DLQ: config.topics.dlq.name,
        WARDEN_MCP_AGENT_ID: AGENT,
        WARDEN_MCP_SERVER_NAME: 'fixture',
        WARDEN_LOG_LEVEL: 'warn',
        MCP_FIXTURE_LOG: serverLog,
      },
    }));
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await consumer?.disconnect();
  });

  it('a call passes, reaches the server, and becomes an event signed by the gateway with provenance, digest and target', async () => {
    const r = await client.callTool({ name: 'fetch_url', arguments: { url: 'https://api.example.com/v1/x?token=abc' } });
    expect(text(r)).toContain('fetched');
    expect(serverCalls().map((c) => c.tool)).toEqual(['fetch_url']);
    const got = await eventFor((e) => e.resource === 'fixture/fetch_url', 'the fetch_url event');
    expect(got.verification).toBe('valid');
    expect(got.attester).toBe('mcp-gateway');
    expect(got.event).toMatchObject({ agentId: AGENT, action: 'net.egress', target: 'api.example.com', outcome: 'SUCCESS', text: null });
    expect(got.event.attributes[PROVENANCE_ATTRIBUTE]).toBe('mcp-gateway');
    expect(got.event.sessionId).toMatch(/^stdio-/);
    expect(got.event.attributes['mcp.args_digest']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Number(got.event.attributes['mcp.latency_ms'])).toBeGreaterThan(0);
    // The raw arguments (with their token) are nowhere in the event.
    expect(JSON.stringify(got.event)).not.toContain('token=abc');
  });

  it('a tool result with isError is reported as outcome ERROR', async () => {
    const r = await client.callTool({ name: 'fetch_url', arguments: { url: 'https://fail.example.com/' } });
    expect(r.isError).toBe(true);
    await eventFor((e) => e.target === 'fail.example.com' && e.outcome === 'ERROR', 'the ERROR event');
  });

  it('a forged QUARANTINE is ignored: calls still pass', async () => {
    const real = loadCommandSigner(config, testLogger);
    const forger = CommandSigner.generate(real.kids()[0]!, 'fleet'); // same kid, another key
    await publishCommands(config, [command(AGENT, { type: 'QUARANTINE', reason: 'forged' })], forger);
    await publishCommands(config, [command(`other-${uniqueSuffix()}`, { type: 'QUARANTINE' })]); // a marker after it
    const before = serverCalls().length;
    const r = await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
    expect(text(r)).toBe('sunny in Oslo');
    expect(serverCalls().length).toBe(before + 1);
  });

  it('after a signed QUARANTINE the next call is refused before the server sees it, and the refusal is a DENIED event', async () => {
    await publishCommands(config, [command(AGENT, { type: 'QUARANTINE', reason: 'exfiltration suspected' })]);
    const before = serverCalls().length;
    const r = await eventually(async () => {
      const res = await client.callTool({ name: 'get_weather', arguments: { city: 'Bergen' } });
      return res.isError ? res : undefined;
    }, 15_000, 'a refused call');
    expect(text(r)).toMatch(/quarantined: exfiltration suspected/);
    expect(serverCalls().filter((c) => (c.args as { city?: string }).city === 'Bergen').length).toBe(serverCalls().length - before);
    const calls = serverCalls().slice(before);
    expect(calls.every((c) => (c.args as { city: string }).city === 'Bergen')).toBe(true);
    const lastPassed = calls.length;
    // Once refused, nothing more reaches the server.
    await client.callTool({ name: 'send_email', arguments: { to: 'x@example.com', body: 'hi' } });
    expect(serverCalls().length - before).toBe(lastPassed);
    expect((await client.listTools()).tools).toEqual([]);
    await eventFor((e) => e.resource === 'fixture/send_email' && e.outcome === 'DENIED', 'the DENIED event');
  });

  it('THROTTLE hides and refuses the revoked tools only; RELEASE restores them', async () => {
    await publishCommands(config, [command(AGENT, { type: 'THROTTLE', revokedCapabilities: ['email.*'], reason: 'mail spike' })]);
    await eventually(async () => {
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      return names.join(',') === 'fetch_url,get_weather';
    }, 15_000, 'tools/list without send_email');
    const before = serverCalls().length;
    const refused = await client.callTool({ name: 'send_email', arguments: { to: 'x@example.com', body: 'hi' } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/capability email.send is revoked/);
    expect(text(await client.callTool({ name: 'get_weather', arguments: { city: 'Rome' } }))).toBe('sunny in Rome');
    expect(serverCalls().slice(before).map((c) => c.tool)).toEqual(['get_weather']);

    await publishCommands(config, [command(AGENT, { type: 'RELEASE', reason: 'reviewed' })]);
    await eventually(async () => (await client.listTools()).tools.length === 3, 15_000, 'all tools back');
    expect(text(await client.callTool({ name: 'send_email', arguments: { to: 'x@example.com', body: 'hi' } }))).toBe('sent to x@example.com');
  });
});
