/**
 * The stdio gateway's process lifecycle with a real child process (a few lines of Node as the "server"):
 * the server's stderr passes through, the agent's EOF closes the server's stdin, the server's exit ends the
 * connection with its code (a request it left unanswered is reported as ERROR), a server that ignores the
 * EOF is stopped with a signal, and a command that cannot start is a typed error.
 */
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentHub } from '../../../services/mcp-gateway/agents.js';
import type { CallReport } from '../../../services/mcp-gateway/calls.js';
import { startStdioGateway, type StdioGatewayOptions } from '../../../services/mcp-gateway/stdio.js';
import { WardenError } from '../../../shared/errors/index.js';
import { compileToolActions } from '../../../shared/ingest/toolActions.js';
import { createLogger } from '../../../shared/logging/index.js';
import { KillSwitchState } from '../../../shared/telemetry/index.js';

const mapper = compileToolActions({ version: 1, tools: [{ action: 'data.read', patterns: ['get_*'] }] });
let reports: CallReport[];
let input: PassThrough;
let output: PassThrough;

function start(script: string, over: Partial<StdioGatewayOptions> = {}) {
  const state = new KillSwitchState();
  state.caughtUp = true;
  const hub = { guardFor: () => ({ check: (c: string) => state.check(c, Date.now()), report: (r: CallReport) => void reports.push(r) }) } as unknown as AgentHub;
  return startStdioGateway({
    hub, agentId: 'a', serverName: 'fx', mapper, logger: createLogger('test', { level: 'silent' }),
    command: process.execPath, args: ['-e', script], input, output, serverStderr: 'ignore', ...over,
  });
}

beforeEach(() => {
  reports = [];
  input = new PassThrough();
  output = new PassThrough();
});

describe('stdio gateway process', () => {
  it('passes the server\'s stderr through; the agent\'s EOF closes the server\'s stdin; its exit code is the gateway\'s', async () => {
    const stderr = new PassThrough();
    let logged = '';
    stderr.on('data', (c: Buffer) => (logged += c.toString()));
    const gw = await start("process.stderr.write('server log line\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(3));", { serverStderr: stderr });
    input.end();
    expect(await gw.exited).toBe(3);
    expect(logged).toBe('server log line\n');
  });

  it('the server exiting ends the connection with its code, and the call it left unanswered is reported as ERROR', async () => {
    const gw = await start("process.stdin.once('data', () => process.exit(7));");
    input.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_x', arguments: {} } })}\n`);
    expect(await gw.exited).toBe(7);
    expect(reports).toEqual([expect.objectContaining({ outcome: 'ERROR', detail: 'the MCP server exited before answering' })]);
  });

  it('a server that ignores its stdin closing gets SIGTERM after the grace period', async () => {
    const gw = await start("process.stdin.resume(); setInterval(() => undefined, 1000);", { exitGraceMs: 50 });
    expect(await gw.close()).toBe(128 + 15);
  });

  it('a command that cannot start is a typed error', async () => {
    await expect(start('', { command: '/nonexistent/mcp-server' })).rejects.toThrow(WardenError);
  });
});
