/**
 * stdio mode: the agent launches the gateway as its MCP server command; the gateway launches the real
 * server command and stands between the two pipes. The agent is the one configured (mcpGateway.agentId):
 * whoever can launch this process speaks for it. stdout is the MCP channel, so logs go to stderr.
 * An agent that embeds the gateway (the demo's MCP agent) passes its own agent-side transport instead
 * (the SDK's InMemoryTransport): the same proxy, hub and server launch, without the extra process.
 */
import { randomUUID } from 'node:crypto';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../../shared/logging/index.js';
import type { ToolActionMapper } from './calls.js';
import type { AgentHub } from './agents.js';
import { McpProxy } from './proxy.js';

export interface StdioGatewayOptions {
  hub: AgentHub;
  agentId: string;
  serverName: string;
  mapper: ToolActionMapper;
  logger: Logger;
  /** The server command and its arguments. */
  command: string;
  args: string[];
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** The agent's side when the agent runs in this process (then input/output are unused). */
  agentTransport?: Transport;
  /** What the server process's stderr does (default: inherit). */
  serverStderr?: 'inherit' | 'ignore';
}

export async function startStdioGateway(o: StdioGatewayOptions): Promise<McpProxy> {
  // stdio has no MCP session id: one per launch, so a run's events group together.
  const sessionId = `stdio-${randomUUID()}`;
  const server = new StdioClientTransport({ command: o.command, args: o.args, stderr: o.serverStderr ?? 'inherit', env: serverEnv() });
  const agent = o.agentTransport ?? new StdioServerTransport(o.input as never, o.output as never);
  const proxy = new McpProxy(agent, server, { serverName: o.serverName, mapper: o.mapper, guard: o.hub.guardFor(o.agentId), logger: o.logger, sessionId: () => sessionId });
  await proxy.start();
  return proxy;
}

/** The server gets the gateway's environment minus Warden's own settings (keyring, tokens, command keys). */
function serverEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('WARDEN_')));
}
