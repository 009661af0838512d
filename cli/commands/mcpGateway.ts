/**
 * `warden mcp-gateway stdio [--agent-id ID] -- <server command...>` and
 * `warden mcp-gateway http [--upstream URL] [--port N]`: see README "Watch and stop agents at their MCP tools".
 * In stdio mode stdout is the MCP channel: every log line goes to stderr.
 */
import type { Command } from 'commander';
import { createLogger } from '../../shared/logging/index.js';
import { Keyring } from '../../shared/signing/index.js';
import { runHttp, runStdio, type RunningGateway } from '../../services/mcp-gateway/main.js';
import { configFrom, progress, type GlobalOptions } from './common.js';

export function registerMcpGateway(program: Command, globals: () => GlobalOptions): void {
  const gw = program.command('mcp-gateway').description('MCP proxy that reports every tool call to agent.events and refuses calls while the agent is isolated');

  gw.command('stdio')
    .description('launch an MCP server command and stand between it and the agent on stdin/stdout')
    .option('--agent-id <id>', 'the agent this server is launched for (default: mcpGateway.agentId / WARDEN_MCP_AGENT_ID)')
    .argument('<command...>', 'the MCP server command and its arguments (after --)')
    .action(async (command: string[], opts: { agentId?: string }) => {
      const config = configFrom(globals());
      const logger = createLogger('mcp-gateway', { level: config.logging.level, destination: process.stderr });
      const [cmd, ...args] = command;
      const running = await runStdio({ config, keyring: Keyring.load(), logger }, cmd!, args, opts.agentId);
      stopOnSignals(running);
      // The agent closing our stdin closes the server's; the server's exit ends the gateway with its code.
      void running.exited.then(async (code) => {
        await running.stop();
        process.exit(code);
      });
    });

  gw.command('http')
    .description('serve Streamable HTTP MCP at /mcp in front of an MCP server URL, with per-agent bearer tokens and the state API')
    .option('--upstream <url>', 'the MCP server URL (default: mcpGateway.http.upstreamUrl / WARDEN_MCP_UPSTREAM_URL)')
    .action(async (opts: { upstream?: string }) => {
      const config = configFrom(globals());
      const logger = createLogger('mcp-gateway', { level: config.logging.level, destination: process.stderr });
      const running = await runHttp({ config, keyring: Keyring.load(), logger }, opts.upstream);
      progress(`mcp-gateway: MCP at ${running.http!.url.href}, state API at ${new URL('/v1/agents/{id}/state', running.http!.url).href.replace('%7Bid%7D', '{id}')}`);
      stopOnSignals(running);
    });
}

function stopOnSignals(running: RunningGateway): void {
  const stop = () => void running.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
