/**
 * Wiring for `warden mcp-gateway`: the keyring and config in, an AgentHub (telemetry + kill switch per
 * agent) and one front (stdio or HTTP) out. Everything that decides lives in calls.ts, refusal.ts, inspector.ts.
 */
import type { WardenConfig } from '../../shared/config/index.js';
import { ConfigError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { Registry } from '../../shared/metrics/index.js';
import type { Keyring } from '../../shared/signing/index.js';
import { AgentHub } from './agents.js';
import { startHttpGateway, type HttpGateway } from './http.js';
import { startStdioGateway } from './stdio.js';
import { AgentTokens } from './tokens.js';
import { loadMapper } from './toolActions.js';

export interface GatewayDeps { config: WardenConfig; keyring: Keyring; logger: Logger; metrics?: Registry }

export interface RunningGateway { hub: AgentHub; http?: HttpGateway; stop(): Promise<void> }

/** stdio: the server's exit ends the gateway, with the server's exit code. */
export interface RunningStdioGateway extends RunningGateway { exited: Promise<number> }

export async function runStdio(deps: GatewayDeps, command: string, args: string[], agentId = deps.config.mcpGateway.agentId): Promise<RunningStdioGateway> {
  const g = deps.config.mcpGateway;
  if (!agentId) throw new ConfigError(['mcpGateway.agentId (WARDEN_MCP_AGENT_ID or --agent-id): stdio mode speaks for one configured agent']);
  const mapper = loadMapper(g.toolActionsFile);
  const hub = new AgentHub({ ...deps, metrics: deps.metrics ?? new Registry() });
  await hub.start([{ agentId, agentRole: g.agentRole, tenantId: g.tenantId }]);
  const gateway = await startStdioGateway({ hub, agentId, serverName: g.serverName, mapper, logger: deps.logger, command, args });
  // Once: a signal and the server's exit may both stop it, and each must wait for the events to be flushed.
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    await gateway.close();
    await hub.close();
  })());
  return { hub, exited: gateway.exited, stop };
}

export async function runHttp(deps: GatewayDeps, upstreamUrl = deps.config.mcpGateway.http.upstreamUrl): Promise<RunningGateway> {
  const g = deps.config.mcpGateway;
  if (!upstreamUrl) throw new ConfigError(['mcpGateway.http.upstreamUrl (WARDEN_MCP_UPSTREAM_URL or --upstream): the MCP server the gateway stands in front of']);
  if (!g.http.tokensFile) throw new ConfigError(['mcpGateway.http.tokensFile (WARDEN_MCP_TOKENS_FILE): every HTTP agent authenticates with its own bearer token']);
  const tokens = AgentTokens.fromFile(g.http.tokensFile);
  const mapper = loadMapper(g.toolActionsFile);
  const hub = new AgentHub({ ...deps, metrics: deps.metrics ?? new Registry() });
  await hub.start(tokens.agents());
  const http = await startHttpGateway({ hub, tokens, mapper, upstreamUrl: new URL(upstreamUrl), serverName: g.serverName, host: g.http.host, port: g.http.port, maxBodyBytes: g.http.maxBodyBytes, logger: deps.logger });
  return {
    hub,
    http,
    stop: async () => {
      await http.close();
      await hub.close();
    },
  };
}
