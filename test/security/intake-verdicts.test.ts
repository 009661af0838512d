/**
 * The intake's verdict for each kind of hostile record, with the real schema
 * registry doing the framing: identity syntax, header limits, and events
 * attested by a Warden component (otel-ingest, mcp-gateway) rather than
 * signed by the agent.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FleetPublisher } from '../../cli/simulate/publisher.js';
import { classify, DEFAULT_LIMITS, preloadSchemas, type RawRecord } from '../../services/detector/intake.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import { AvroCodec } from '../../shared/registry/codec.js';
import { avroSchemas, type AgentActionEvent } from '../../shared/schemas/generated.js';
import { Keyring, PROVENANCE_ATTRIBUTE, signAttestedHeaders, signHeaders } from '../../shared/signing/index.js';
import { isolatedConfig, testLogger } from '../support/stack.js';

const config = isolatedConfig('sec-verdicts');
const keyring = new Keyring({ 'agent-1': { k1: 'agent-one-secret-0123456789' }, 'attester:otel-ingest': { o1: 'otel-ingest-secret-0123456789' } });
const codec = new AvroCodec<AgentActionEvent>(createRegistry(config), avroSchemas.AgentActionEvent);
const publisher = new FleetPublisher(createKafka(config, testLogger), config, keyring);

function event(over: Partial<AgentActionEvent> = {}): AgentActionEvent {
  return {
    eventId: 'e-1', agentId: 'agent-1', agentRole: 'support', tenantId: 'acme', sessionId: null, principal: null,
    timestamp: Date.now(), seq: 1, action: 'tool.call', resource: 'search', target: null, outcome: 'SUCCESS',
    bytesIn: 0, bytesOut: 10, records: 0, tokens: 0, amount: null, currency: null, text: null, attributes: {}, ...over,
  };
}

async function verdict(record: RawRecord) {
  await preloadSchemas(codec, [record]);
  return classify(record, codec, keyring, DEFAULT_LIMITS, Date.now());
}

const signedByAgent = (e: AgentActionEvent): RawRecord => {
  const value = publisher.encode(e);
  return { key: Buffer.from(e.agentId), value, headers: signHeaders(keyring, e.agentId, value) };
};
const attested = (e: AgentActionEvent, attester = 'otel-ingest'): RawRecord => {
  const value = publisher.encode(e);
  return { key: Buffer.from(e.agentId), value, headers: signAttestedHeaders(keyring, attester, value) };
};

describe('intake verdicts', () => {
  beforeAll(async () => publisher.connect().then(() => publisher.disconnect()));

  it('accepts an event signed by the agent, and one attested by otel-ingest that records its provenance', async () => {
    expect((await verdict(signedByAgent(event()))).kind).toBe('event');
    const ok = await verdict(attested(event({ agentId: 'py-agent-7', attributes: { [PROVENANCE_ATTRIBUTE]: 'otel-ingest' } })));
    expect(ok).toMatchObject({ kind: 'event', verification: 'valid' });
  });

  it('refuses provenance that does not match the signer', async () => {
    // Attested, but the signed bytes do not say so: a replay of an agent's record under the attester's headers.
    expect(await verdict(attested(event({ agentId: 'py-agent-7' })))).toMatchObject({ kind: 'dlq', reason: 'event.signature-invalid', verification: 'invalid' });
    // The agent's own signature, claiming it came through otel-ingest.
    expect(await verdict(signedByAgent(event({ attributes: { [PROVENANCE_ATTRIBUTE]: 'otel-ingest' } })))).toMatchObject({ kind: 'dlq', reason: 'event.signature-invalid' });
  });

  it('an attester without a key, or a malformed attester name, is an unknown key', async () => {
    const value = publisher.encode(event({ attributes: { [PROVENANCE_ATTRIBUTE]: 'mcp-gateway' } }));
    const forged = { ...signAttestedHeaders(keyring, 'otel-ingest', value), 'warden-attester': 'mcp-gateway' };
    expect(await verdict({ key: Buffer.from('agent-1'), value, headers: forged })).toMatchObject({ kind: 'dlq', reason: 'event.unknown-key' });
    const bad = { ...signHeaders(keyring, 'agent-1', value), 'warden-attester': 'Not A Name' };
    expect(await verdict({ key: Buffer.from('agent-1'), value, headers: bad })).toMatchObject({ kind: 'dlq', reason: 'event.unknown-key' });
  });

  it.each([
    ['*', 'reserved for fleet-wide commands'],
    ['attester:otel-ingest', 'reserved for the keys of Warden components'],
    ['', 'empty'],
    ['a\u2028b', 'characters outside'],
    ['x'.repeat(129), 'at most 128'],
  ])('agentId %j is a bad identity (%s)', async (agentId, why) => {
    const value = publisher.encode(event({ agentId }));
    const v = await verdict({ key: Buffer.from(agentId), value, headers: {} });
    expect(v).toMatchObject({ kind: 'dlq', reason: 'event.bad-identity' });
    expect(v.kind === 'dlq' && v.detail).toContain(why);
  });

  it('a role or tenant with control characters is a bad identity', async () => {
    expect(await verdict(signedByAgent(event({ agentRole: 'support\u001b[31m' })))).toMatchObject({ kind: 'dlq', reason: 'event.bad-identity' });
    expect(await verdict(signedByAgent(event({ tenantId: 'acme\u0085x' })))).toMatchObject({ kind: 'dlq', reason: 'event.bad-identity' });
  });

  it('too many headers or header bytes are refused before anything is decoded', async () => {
    const base = signedByAgent(event());
    const many = Object.fromEntries(Array.from({ length: DEFAULT_LIMITS.maxHeaders + 1 }, (_, i) => [`h${i}`, 'x']));
    expect(await verdict({ ...base, headers: { ...many } })).toMatchObject({ kind: 'dlq', reason: 'event.oversized-headers' });
    expect(await verdict({ ...base, headers: { ...(base.headers as object), pad: 'p'.repeat(DEFAULT_LIMITS.maxHeaderBytes) } })).toMatchObject({ kind: 'dlq', reason: 'event.oversized-headers' });
    expect(await verdict({ ...base, value: Buffer.alloc(10), headers: { pad: [Buffer.alloc(3000), Buffer.alloc(3000)] } })).toMatchObject({ kind: 'dlq', reason: 'event.oversized-headers' });
  });
});
