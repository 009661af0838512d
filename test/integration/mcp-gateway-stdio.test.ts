/**
 * The MCP gateway over stdio, end to end on the real stack, against a real MCP server from npm: the real SDK
 * Client launches `warden mcp-gateway stdio`, which launches @modelcontextprotocol/server-filesystem on a
 * temporary folder. Calls pass and become attested events on agent.events; a responder-signed QUARANTINE
 * refuses the next call before the server sees it (asserted on the server's side: a refused write_file
 * leaves no file); a forged command changes nothing; THROTTLE hides and refuses revoked tools; RELEASE restores.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
import { filesystemServerCommand } from '../support/mcpFilesystem.js';
import { eventually, isolatedConfig, provisionTopics, testLogger, uniqueSuffix } from '../support/stack.js';

const config = isolatedConfig('mcp-stdio');
const FAIL_CLOSED_AFTER_MS = 1500;
const AGENT = `mcp-agent-${uniqueSuffix()}`;
const keyringData = { 'attester:mcp-gateway': { gw1: 'mcp-gateway-attester-secret-0123456789' } };
const keyring = new Keyring(keyringData);
const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-fs-'));
writeFileSync(join(dir, 'readme.md'), '# docs\n');

interface Received { event: AgentActionEvent; verification: string; attester: string | undefined }
const received: Received[] = [];
let consumer: Consumer;
let client: Client;

const text = (r: unknown) => ((r as { content: { text: string }[] }).content[0]!.text);
const write = (name: string, content = 'x') => client.callTool({ name: 'write_file', arguments: { path: join(dir, name), content } });

async function eventFor(pred: (e: AgentActionEvent) => boolean, what: string): Promise<Received> {
  return eventually(() => received.find((r) => pred(r.event)), 20_000, what);
}

describe('mcp-gateway over stdio (real SDK client, server-filesystem from npm, real stack)', () => {
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
    const server = filesystemServerCommand(dir);
    client = new Client({ name: 'test-agent', version: '1.0.0' });
    await client.connect(new StdioClientTransport({
      command: 'npx',
      args: ['tsx', 'cli/warden.ts', 'mcp-gateway', 'stdio', '--', server.command, ...server.args],
      stderr: 'inherit',
      env: {
        ...(process.env as Record<string, string>),
        WARDEN_KEYRING: JSON.stringify(keyringData),
        WARDEN_TOPIC_EVENTS: config.topics.events.name,
        WARDEN_TOPIC_QUARANTINE: config.topics.quarantine.name,
        WARDEN_TOPIC_DLQ: config.topics.dlq.name,
        WARDEN_MCP_AGENT_ID: AGENT,
        WARDEN_MCP_SERVER_NAME: 'filesystem',
        WARDEN_MCP_FAIL_CLOSED_AFTER_MS: String(FAIL_CLOSED_AFTER_MS),
        WARDEN_LOG_LEVEL: 'warn',
      },
    }));
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await consumer?.disconnect();
  });

  it('a call passes, the server does it, and it becomes an event signed by the gateway with provenance, digest and session', async () => {
    const r = await write('first.txt', 'secret-token=abc123');
    expect(text(r)).toMatch(/Successfully wrote/);
    expect(readFileSync(join(dir, 'first.txt'), 'utf8')).toBe('secret-token=abc123');
    const got = await eventFor((e) => e.resource === 'filesystem/write_file', 'the write_file event');
    expect(got.verification).toBe('valid');
    expect(got.attester).toBe('mcp-gateway');
    expect(got.event).toMatchObject({ agentId: AGENT, action: 'data.write', outcome: 'SUCCESS', text: null, target: null });
    expect(got.event.attributes[PROVENANCE_ATTRIBUTE]).toBe('mcp-gateway');
    expect(got.event.attributes['mcp.method']).toBe('tools/call');
    expect(got.event.sessionId).toMatch(/^stdio-/);
    expect(got.event.attributes['mcp.args_digest']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Number(got.event.attributes['mcp.latency_ms'])).toBeGreaterThan(0);
    expect(got.event.bytesOut).toBeGreaterThan(0);
    // The raw arguments (with their token) are nowhere in the event.
    expect(JSON.stringify(got.event)).not.toContain('abc123');
  });

  it('a tool result with isError (a file that does not exist) is reported as outcome ERROR', async () => {
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'missing.txt') } });
    expect(r.isError).toBe(true);
    await eventFor((e) => e.resource === 'filesystem/read_text_file' && e.outcome === 'ERROR', 'the ERROR event');
  });

  it('a forged QUARANTINE is ignored: the signed THROTTLE after it applies, and calls outside it pass', async () => {
    const real = loadCommandSigner(config, testLogger);
    const forger = CommandSigner.generate(real.kids()[0]!, 'fleet'); // same kid, another key
    // Issued later than the real command that follows: applied, it would hold and the THROTTLE would be stale.
    await publishCommands(config, [command(AGENT, { type: 'QUARANTINE', reason: 'forged', issuedAt: Date.now() + 3_600_000 })], forger);
    await publishCommands(config, [command(AGENT, { type: 'THROTTLE', revokedCapabilities: ['tool.call'], reason: 'marker' })]);
    const names = await eventually(async () => {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      return tools.length > 0 && !tools.includes('move_file') ? tools : undefined;
    }, 15_000, 'tools/list without move_file (the signed THROTTLE applied)');
    expect(names).toContain('write_file');
    expect(text(await write('after-forged.txt'))).toMatch(/Successfully wrote/);
    expect(existsSync(join(dir, 'after-forged.txt'))).toBe(true);
    await publishCommands(config, [command(AGENT, { type: 'RELEASE', reason: 'marker done' })]);
    await eventually(async () => (await client.listTools()).tools.some((t) => t.name === 'move_file'), 15_000, 'move_file back');
  });

  it('after a signed QUARANTINE the next call is refused before the server sees it (no file), and the refusal is a DENIED event', async () => {
    await publishCommands(config, [command(AGENT, { type: 'QUARANTINE', reason: 'exfiltration suspected' })]);
    // Until the command is read, writes pass; each attempt has its own file, so the server's side tells which did.
    let attempt = 0;
    const refusedName = await eventually(async () => {
      const name = `q-${attempt++}.txt`;
      return (await write(name)).isError ? name : undefined;
    }, 15_000, 'a refused call');
    expect(existsSync(join(dir, refusedName))).toBe(false);
    const refused = await write('q-final.txt');
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/quarantined: exfiltration suspected/);
    expect(existsSync(join(dir, 'q-final.txt'))).toBe(false);
    // Reads are refused too, and tools/list offers nothing.
    expect((await client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'readme.md') } })).isError).toBe(true);
    expect((await client.listTools()).tools).toEqual([]);
    const denied = await eventFor((e) => e.resource === 'filesystem/write_file' && e.outcome === 'DENIED', 'the DENIED event');
    expect(denied.event.attributes['mcp.detail']).toMatch(/quarantined/);
  });

  it('THROTTLE hides and refuses the revoked tools only; RELEASE restores them', async () => {
    await publishCommands(config, [command(AGENT, { type: 'THROTTLE', revokedCapabilities: ['data.write'], reason: 'write spike' })]);
    const names = await eventually(async () => {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      return tools.length > 0 && !tools.includes('write_file') ? tools : undefined;
    }, 15_000, 'tools/list without write_file');
    expect(names).toContain('read_text_file');
    const refused = await write('throttled.txt');
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/capability data.write is revoked/);
    expect(existsSync(join(dir, 'throttled.txt'))).toBe(false);
    expect(text(await client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'readme.md') } }))).toBe('# docs\n');

    await publishCommands(config, [command(AGENT, { type: 'RELEASE', reason: 'reviewed' })]);
    await eventually(async () => (await client.listTools()).tools.some((t) => t.name === 'write_file'), 15_000, 'write_file back');
    expect(text(await write('released.txt'))).toMatch(/Successfully wrote/);
    expect(existsSync(join(dir, 'released.txt'))).toBe(true);
  });

  it('fails closed when agent.quarantine cannot be read for failClosedAfterMs: every call refused, nothing reaches the server', async () => {
    // The feed goes away (topic deleted; the broker does not auto-create topics).
    const admin = createKafka(config, testLogger).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.topics.quarantine.name] });
    await admin.disconnect();
    let attempt = 0;
    const refused = await eventually(async () => {
      const r = await write(`fc-${attempt++}.txt`);
      return r.isError ? r : undefined;
    }, 20_000, 'a fail-closed refusal');
    expect(text(refused)).toMatch(/fail-closed/);
    expect(existsSync(join(dir, `fc-${attempt - 1}.txt`))).toBe(false);
    await eventFor((e) => e.outcome === 'DENIED' && /fail-closed/.test(e.attributes['mcp.detail'] ?? ''), 'the fail-closed DENIED event');
  }, 40_000);
});
