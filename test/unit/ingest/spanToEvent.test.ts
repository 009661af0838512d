import { describe, expect, it } from 'vitest';
import type { AttributeValue, OtlpSpan } from '../../../shared/ingest/otlp/spans.js';
import { spanToEvent, type SpanMappingOptions } from '../../../shared/ingest/spanToEvent.js';
import { loadToolActions } from '../../../shared/ingest/toolActions.js';

const options: SpanMappingOptions = {
  identity: { agentIdAttributes: ['gen_ai.agent.id', 'service.name'], roleAttributes: ['warden.agent.role', 'gen_ai.agent.name'], defaultRole: 'otel', tenantAttributes: ['warden.tenant.id', 'service.namespace'], defaultTenant: 'default' },
  toolActions: loadToolActions(),
  maxTextLength: 200,
  sender: 'bot-1',
};

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

function span(attrs: Record<string, AttributeValue>, over: Partial<OtlpSpan> = {}, resource: Record<string, AttributeValue> = { 'service.name': 'support-bot-1' }): OtlpSpan {
  return {
    resource: new Map(Object.entries(resource)), scope: 's', traceId: TRACE, spanId: SPAN, parentSpanId: '', name: 'execute_tool send_email', kind: 1,
    startMs: 1_796_000_000_000, endMs: 1_796_000_000_250, attributes: new Map(Object.entries({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'send_email', ...attrs })), statusCode: 0, statusMessage: '', ...over,
  };
}

function event(s: OtlpSpan, o: SpanMappingOptions = options) {
  const v = spanToEvent(s, o);
  if (v.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(v)}`);
  return v.event;
}

describe('GenAI span -> AgentActionEvent', () => {
  it('maps a tool call field by field', () => {
    const e = event(span({ 'gen_ai.tool.call.arguments': '{"to":"a@example.org","subject":"hi"}', 'gen_ai.tool.call.id': 'call-1', 'gen_ai.tool.type': 'function', 'gen_ai.conversation.id': 'conv-9', 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': '4', 'gen_ai.tool.call.result': 'sent' }));
    expect(e).toMatchObject({
      eventId: `otel-${TRACE}-${SPAN}`, agentId: 'support-bot-1', agentRole: 'otel', tenantId: 'default', action: 'email.send', resource: 'send_email', target: 'example.org',
      outcome: 'SUCCESS', tokens: 7, sessionId: 'conv-9', timestamp: 1_796_000_000_250, seq: 0, bytesIn: 4, bytesOut: 37,
    });
    expect(e.attributes).toEqual({
      'warden.provenance': 'otel-ingest', source: 'otlp', 'otel.sender': 'bot-1', 'otel.trace_id': TRACE, 'otel.span_id': SPAN, 'otel.operation': 'execute_tool',
      'otel.agent_id_from': 'service.name', 'gen_ai.tool.type': 'function', 'gen_ai.tool.call.id': 'call-1',
    });
    expect(e.text).toBe('{"to":"[redacted:email]","subject":"hi"}');
  });

  it('the same span always gives the same eventId (a re-sent span is recognisable)', () => {
    expect(event(span({})).eventId).toBe(event(span({ 'gen_ai.tool.call.arguments': 'x' })).eventId);
    expect(event(span({}, { spanId: 'b7ad6b7169203332' })).eventId).not.toBe(event(span({})).eventId);
  });

  it.each([
    ['server.address', { 'server.address': 'api.example.com' }, 'api.example.com'],
    ['url.full', { 'url.full': 'https://files.example.net/x?y=1' }, 'files.example.net'],
    ['a URL argument', { 'gen_ai.tool.call.arguments': { nested: { link: 'see http://evil.example.io/a' } } }, 'evil.example.io'],
    ['server.address over an argument', { 'server.address': 'a.example', 'gen_ai.tool.call.arguments': '{"u":"http://b.example"}' }, 'a.example'],
    ['nothing', {}, null],
  ] as const)('target from %s', (_n, attrs, target) => {
    expect(event(span(attrs as Record<string, AttributeValue>)).target).toBe(target);
  });

  it.each([
    ['unset', {}, 0, '', 'SUCCESS'],
    ['status error', {}, 2, 'timeout', 'ERROR'],
    ['error.type', { 'error.type': 'TimeoutError' }, 0, '', 'ERROR'],
    ['denied', { 'error.type': 'PermissionDenied' }, 2, '', 'DENIED'],
    ['403 in the message', {}, 2, 'HTTP 403', 'DENIED'],
  ] as const)('outcome: %s', (_n, attrs, statusCode, statusMessage, outcome) => {
    expect(event(span(attrs, { statusCode, statusMessage })).outcome).toBe(outcome);
  });

  it('maps tool names through the YAML mapping; an unknown tool is tool.call with its name as resource', () => {
    expect(event(span({ 'gen_ai.tool.name': 'transfer_funds', 'gen_ai.tool.call.arguments': '{"amount":"120.50","currency":"usd"}' }))).toMatchObject({ action: 'payment.transfer', amount: 120.5, currency: 'USD' });
    expect(event(span({ 'gen_ai.tool.name': 'summarise' }))).toMatchObject({ action: 'tool.call', resource: 'summarise' });
    expect(event(span({ 'gen_ai.tool.name': undefined as never }, { name: 'execute_tool delete_file' }))).toMatchObject({ action: 'file.delete', resource: 'delete_file' });
  });

  it('agent and model calls become model.output with their tokens', () => {
    expect(event(span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'server.address': 'api.openai.com' }, { name: 'chat gpt-4o' }))).toMatchObject({ action: 'model.output', resource: 'gpt-4o', tokens: 120, target: 'api.openai.com' });
    expect(event(span({ 'gen_ai.operation.name': undefined as never, 'gen_ai.agent.name': 'planner' }, { name: 'invoke_agent planner' }))).toMatchObject({ action: 'model.output', resource: 'planner' });
  });

  it('other spans are ignored, not refused', () => {
    expect(spanToEvent(span({ 'gen_ai.operation.name': undefined as never }, { name: 'GET /users' }), options).kind).toBe('ignored');
    expect(spanToEvent(span({ 'gen_ai.operation.name': 'db.query' }), options).kind).toBe('ignored');
  });

  it('identity: gen_ai.agent.id first (span, then resource), service.name as fallback, role and tenant by rules', () => {
    expect(event(span({ 'gen_ai.agent.id': 'agent-from-span' }, {}, { 'service.name': 'svc', 'gen_ai.agent.id': 'agent-from-resource' }))).toMatchObject({ agentId: 'agent-from-span', attributes: expect.objectContaining({ 'otel.agent_id_from': 'gen_ai.agent.id' }) });
    expect(event(span({}, {}, { 'service.name': 'svc', 'gen_ai.agent.id': 'agent-r', 'gen_ai.agent.name': 'Support Agent', 'service.namespace': 'acme' }))).toMatchObject({ agentId: 'agent-r', agentRole: 'Support Agent', tenantId: 'acme' });
    expect(event(span({ 'warden.agent.role': 'finance' }))).toMatchObject({ agentRole: 'finance' });
  });

  it.each([
    ['no identity at all', {}, {}, 'event.bad-identity', /no agent identity/],
    ["the SDK's unknown_service default", {}, { 'service.name': 'unknown_service:node' }, 'event.bad-identity', /no agent identity/],
    ['the fleet key', { 'gen_ai.agent.id': '*' }, {}, 'event.bad-identity', /reserved for fleet-wide/],
    ['an attester name', { 'gen_ai.agent.id': 'attester:otel-ingest' }, {}, 'event.bad-identity', /reserved for the keys of Warden components/],
    ['a line break in the id', { 'gen_ai.agent.id': 'bot\nforged' }, {}, 'event.bad-identity', /characters outside/],
    ['a non-string id', { 'gen_ai.agent.id': 42 }, {}, 'event.bad-identity', /not a string/],
    ['a control character in the role', { 'gen_ai.agent.id': 'a', 'warden.agent.role': 'x\u0085y' }, {}, 'event.bad-identity', /agentRole contains control/],
  ] as const)('refuses %s', (_n, attrs, resource, reason, detail) => {
    const v = spanToEvent(span(attrs as Record<string, AttributeValue>, {}, resource as Record<string, AttributeValue>), options);
    expect(v.kind).toBe('refused');
    if (v.kind === 'refused') {
      expect(v.reason).toBe(reason);
      expect(v.detail).toMatch(detail);
    }
  });

  it.each([
    ['all-zero trace id', { traceId: '0'.repeat(32) }, /traceId/],
    ['short span id', { spanId: 'abcd' }, /spanId/],
    ['no times', { startMs: 0, endMs: 0 }, /neither an end nor a start/],
  ] as const)('refuses a span with %s', (_n, over, detail) => {
    const v = spanToEvent(span({}, over), options);
    expect(v).toMatchObject({ kind: 'refused', reason: 'event.invalid' });
    if (v.kind === 'refused') expect(v.detail).toMatch(detail);
  });

  it('refuses a tool span without a tool name', () => {
    expect(spanToEvent(span({ 'gen_ai.tool.name': undefined as never }, { name: 'execute_tool' }), options)).toMatchObject({ kind: 'refused', reason: 'event.invalid' });
  });

  it('keeps arguments only when present, redacted and cut', () => {
    expect(event(span({})).text).toBeNull();
    const long = event(span({ 'gen_ai.tool.call.arguments': `Authorization: Bearer abcdefghijklmnop1234 ${'x'.repeat(500)}` }));
    expect(long.text).toHaveLength(200);
    expect(long.text).not.toContain('abcdefghijklmnop1234');
    expect(long.attributes.textTruncated).toBe('true');
  });

  it('survives hostile attribute values', () => {
    const v = spanToEvent(span({ 'gen_ai.tool.name': 'x'.repeat(10_000), 'gen_ai.tool.call.id': 'y'.repeat(10_000), 'gen_ai.conversation.id': 'z'.repeat(10_000), __proto__: 'p' }), options);
    expect(v.kind).toBe('event');
    if (v.kind === 'event') {
      expect(v.event.resource!.length).toBeLessThanOrEqual(512);
      expect(v.event.sessionId!.length).toBeLessThanOrEqual(256);
    }
  });
});
