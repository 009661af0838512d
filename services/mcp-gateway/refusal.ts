/**
 * The answer to a call the gateway refuses, pure, sent before the server sees the call.
 *
 * tools/call gets a CallToolResult with isError and a reason: the MCP spec puts tool failures in the
 * result "so the LLM can see that an error occurred", so the model reads why it was stopped and can tell
 * the user, where a JSON-RPC error is usually raised as an exception that agent loops retry or crash on.
 * resources/read and prompts/get have no isError in their result, so they get a JSON-RPC error
 * (code -32003, in the implementation-defined server range) with the same reason and the state in `data`.
 */
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { AgentState } from '../../shared/telemetry/index.js';
import type { GuardedCall } from './calls.js';

export const REFUSED_ERROR_CODE = -32003;

export function refusalReason(call: GuardedCall, state: AgentState, matched: string | undefined): string {
  const what = call.kind === 'tool' ? `tool ${call.name}` : call.kind === 'resource' ? `resource ${call.name}` : `prompt ${call.name}`;
  const why = state.reason ? `: ${state.reason}` : '';
  switch (state.mode) {
    case 'QUARANTINED': return `Agent Warden refused ${what}: this agent is quarantined${why}. Do not retry; ask a human operator.`;
    case 'THROTTLED': return `Agent Warden refused ${what}: capability ${call.capability} is revoked for this agent (${matched ?? call.capability})${why}. Other tools may still work.`;
    case 'FEED_LOST': return `Agent Warden refused ${what}: the gateway cannot read the isolation feed, so it refuses every call until it can (fail-closed).`;
    case 'STARTING': return `Agent Warden refused ${what}: the gateway is still reading the isolation feed; retry in a few seconds.`;
    default: return `Agent Warden refused ${what}.`;
  }
}

export function refusalMessage(id: RequestId, call: GuardedCall, state: AgentState, reason: string): JSONRPCMessage {
  const data = { wardenMode: state.mode, capability: call.capability, commandId: state.commandId };
  if (call.kind === 'tool') {
    return { jsonrpc: '2.0', id, result: { isError: true, content: [{ type: 'text', text: reason }], _meta: { 'warden/refusal': data } } };
  }
  return { jsonrpc: '2.0', id, error: { code: REFUSED_ERROR_CODE, message: reason, data } };
}
