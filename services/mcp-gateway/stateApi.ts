/**
 * Kill-switch state for agents in any language, served by the gateway: `GET /v1/agents/{id}/state` (JSON)
 * and `GET /v1/agents/{id}/state/stream` (Server-Sent Events: the state now, then every change).
 * The gateway serves it rather than the responder because it already holds exactly the state it enforces,
 * built from verified commands only, next to the agent; the agent asks the same party that will refuse it.
 * A token reads only its own agent's state (403 otherwise), so one leaked token maps nothing else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentState } from '../../shared/telemetry/index.js';
import type { AgentHub } from './agents.js';

const STATE_PATH = /^\/v1\/agents\/([^/]+)\/state(\/stream)?$/;
const KEEPALIVE_MS = 15_000;

export function stateView(agentId: string, s: AgentState): Record<string, unknown> {
  return { agentId, mode: s.mode, allowed: s.mode === 'ACTIVE' || s.mode === 'THROTTLED', revokedCapabilities: s.revokedCapabilities, reason: s.reason, commandId: s.commandId, expiresAt: s.expiresAt };
}

/** true when the request was a state request (answered); false to let the caller route it elsewhere. */
export function handleStateRequest(req: IncomingMessage, res: ServerResponse, path: string, callerAgentId: string, hub: AgentHub): boolean {
  const m = STATE_PATH.exec(path);
  if (!m) return false;
  let agentId: string;
  try {
    agentId = decodeURIComponent(m[1]!);
  } catch {
    json(res, 400, { error: 'bad agent id in path' });
    return true;
  }
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    json(res, 405, { error: 'GET only' });
    return true;
  }
  if (agentId !== callerAgentId) {
    json(res, 403, { error: 'a token reads only its own agent\'s state' });
    return true;
  }
  const telemetry = hub.telemetry(agentId);
  if (!m[2]) {
    json(res, 200, stateView(agentId, telemetry.state()));
    return true;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  const send = (s: AgentState) => res.write(`event: state\ndata: ${JSON.stringify(stateView(agentId, s))}\n\n`);
  send(telemetry.state());
  const unsubscribe = telemetry.onStateChange((s) => send(s));
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const end = () => {
    clearInterval(keepalive);
    unsubscribe();
  };
  req.on('close', end);
  res.on('close', end);
  return true;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
