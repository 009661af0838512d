/**
 * stdio mode: the agent launches the gateway as its MCP server command; the gateway launches the real
 * server command and relays between the two pairs of pipes (stdioRelay.ts). The agent is the one
 * configured (mcpGateway.agentId): whoever can launch this process speaks for it. stdout is the MCP
 * channel, so logs go to stderr; the server's stderr passes through. An agent that embeds the gateway
 * (the demo's MCP agent) passes its own pair of streams as input and output, without the extra process.
 *
 * Lifecycle, as the MCP spec asks of a client: the agent's EOF closes the server's stdin, and a server
 * that has not exited SERVER_EXIT_GRACE_MS later gets SIGTERM, then SIGKILL. The server's exit ends the
 * connection, with the server's exit code (`exited`); requests it left unanswered are reported as ERROR.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { WardenError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import type { AgentHub } from './agents.js';
import type { ToolActionMapper } from './calls.js';
import { CallInspector } from './inspector.js';
import { StdioRelay } from './stdioRelay.js';

/** The SDK's StdioClientTransport waits as long at each step of the same escalation. */
const SERVER_EXIT_GRACE_MS = 2000;

export interface StdioGatewayOptions {
  hub: AgentHub;
  agentId: string;
  serverName: string;
  mapper: ToolActionMapper;
  logger: Logger;
  /** The server command and its arguments. */
  command: string;
  args: string[];
  /** The agent's side (default: this process's stdin and stdout). */
  input?: Readable;
  output?: Writable;
  /** Where the server's stderr goes: this process's (default), nowhere, or a stream. */
  serverStderr?: 'inherit' | 'ignore' | Writable;
  /** How long the server has to exit at each step after its stdin is closed (tests shorten it). */
  exitGraceMs?: number;
}

export interface StdioGateway {
  /** The server's exit code (128 + the signal's number when a signal ended it). */
  exited: Promise<number>;
  /** Closes the server's stdin, then escalates (SIGTERM, SIGKILL); resolves with its exit code. */
  close(): Promise<number>;
}

export async function startStdioGateway(o: StdioGatewayOptions): Promise<StdioGateway> {
  // stdio has no MCP session id: one per launch, so a run's events group together.
  const sessionId = `stdio-${randomUUID()}`;
  const stderr = o.serverStderr ?? 'inherit';
  const child = spawn(o.command, o.args, { stdio: ['pipe', 'pipe', typeof stderr === 'string' ? stderr : 'pipe'], env: serverEnv() });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new WardenError('config.invalid', `the MCP server command ${o.command} could not be started: ${err.message}`, { cause: err })));
  });
  if (typeof stderr !== 'string') child.stderr!.pipe(stderr, { end: false });
  const inspector = new CallInspector({ serverName: o.serverName, mapper: o.mapper, guard: o.hub.guardFor(o.agentId), sessionId: () => sessionId });
  const input = o.input ?? process.stdin;
  new StdioRelay({ inspector, logger: o.logger, agentIn: input, agentOut: o.output ?? process.stdout, serverIn: child.stdin!, serverOut: child.stdout! }).start();

  // 'close', not 'exit': the server's last output has been relayed by then.
  const exited = new Promise<number>((resolve) => {
    child.once('close', (code, signal) => {
      inspector.abandonAll('the MCP server exited before answering');
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
  const graceMs = o.exitGraceMs ?? SERVER_EXIT_GRACE_MS;
  let closing: Promise<number> | null = null;
  const close = () => (closing ??= (async () => {
    child.stdin!.end();
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      if (await exitsWithin(exited, graceMs)) break;
      o.logger.warn({ signal, graceMs }, 'the MCP server did not exit after its stdin closed');
      child.kill(signal);
    }
    return exited;
  })());
  input.once('end', () => void close());
  return { exited, close };
}

async function exitsWithin(exited: Promise<number>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = await Promise.race([exited.then(() => true), timeout]);
  clearTimeout(timer);
  return done;
}

/** The server gets the gateway's environment minus Warden's own settings (keyring, tokens, command keys). */
function serverEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('WARDEN_')));
}
