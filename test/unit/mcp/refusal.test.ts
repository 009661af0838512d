import { describe, expect, it } from 'vitest';
import type { GuardedCall } from '../../../services/mcp-gateway/calls.js';
import { REFUSED_ERROR_CODE, refusalMessage, refusalReason } from '../../../services/mcp-gateway/refusal.js';
import type { AgentState, Mode } from '../../../shared/telemetry/index.js';

const tool: GuardedCall = { kind: 'tool', method: 'tools/call', name: 'send_email', capability: 'email.send', args: {} };
const resource: GuardedCall = { kind: 'resource', method: 'resources/read', name: 'file:///x', capability: 'data.read', args: null };
const state = (mode: Mode, reason = 'why'): AgentState => ({ mode, revokedCapabilities: ['*'], reason, commandId: 'c1', expiresAt: null });

describe('refusals', () => {
  it.each([
    ['QUARANTINED', /quarantined: why\. Do not retry/],
    ['THROTTLED', /capability email\.send is revoked for this agent \(email\.\*\)/],
    ['FEED_LOST', /fail-closed/],
    ['STARTING', /still reading the isolation feed/],
  ] as const)('%s has a reason the model can read', (mode, re) => {
    expect(refusalReason(tool, state(mode), 'email.*')).toMatch(re);
  });

  it('a tool call gets a CallToolResult with isError, never a protocol error', () => {
    const m = refusalMessage(7, tool, state('QUARANTINED'), 'no') as unknown as { id: number; result: { isError: boolean; content: { type: string; text: string }[] }; error?: unknown };
    expect(m.id).toBe(7);
    expect(m.error).toBeUndefined();
    expect(m.result.isError).toBe(true);
    expect(m.result.content).toEqual([{ type: 'text', text: 'no' }]);
  });

  it('a resource read or prompt get gets a JSON-RPC error with the state in data', () => {
    const m = refusalMessage('r1', resource, state('THROTTLED'), 'no') as unknown as { id: string; error: { code: number; message: string; data: Record<string, unknown> } };
    expect(m).toMatchObject({ id: 'r1', error: { code: REFUSED_ERROR_CODE, message: 'no', data: { wardenMode: 'THROTTLED', capability: 'data.read', commandId: 'c1' } } });
  });
});
