/**
 * The intake's verdicts with signatures checked on a 2-worker pool are classify()'s, record for record, for
 * every kind of record (valid, missing, invalid, unknown key, attested, provenance mismatches, and the
 * records refused before the signature), with the real schema registry doing the framing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetPublisher } from '../../cli/simulate/publisher.js';
import { classify, classifyBatch, DEFAULT_LIMITS, preloadSchemas, type RawRecord } from '../../services/detector/intake.js';
import { createVerifier, VerifyPool } from '../../services/detector/verifyPool.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import { AvroCodec } from '../../shared/registry/codec.js';
import { avroSchemas, type AgentActionEvent } from '../../shared/schemas/generated.js';
import { HEADER_ATTESTER, HEADER_KID, HEADER_SIG, Keyring, PROVENANCE_ATTRIBUTE, signAttestedHeaders, signHeaders } from '../../shared/signing/index.js';
import { isolatedConfig, testLogger } from '../support/stack.js';

const config = isolatedConfig('intake-pool');
const keyring = new Keyring({ 'agent-1': { k1: 'agent-one-secret-0123456789' }, 'agent-2': { k1: 'agent-two-secret-0123456789' }, 'attester:otel-ingest': { o1: 'otel-ingest-secret-0123456789' } });
const codec = new AvroCodec<AgentActionEvent>(createRegistry(config), avroSchemas.AgentActionEvent);
const publisher = new FleetPublisher(createKafka(config, testLogger), config, keyring);
const pool = new VerifyPool(keyring, 2);
/** Signs as an agent the detector's keyring does not have. */
const strangerKeys = new Keyring({ stranger: { k1: 'stranger-secret-0123456789' } });

function event(n: number, over: Partial<AgentActionEvent> = {}): AgentActionEvent {
  return {
    eventId: `e-${n}`, agentId: 'agent-1', agentRole: 'support', tenantId: 'acme', sessionId: null, principal: null,
    timestamp: Date.now(), seq: n, action: 'tool.call', resource: 'search', target: null, outcome: 'SUCCESS',
    bytesIn: 0, bytesOut: 10 + n, records: 0, tokens: 0, amount: null, currency: null, text: null, attributes: {}, ...over,
  };
}

/** One record of each kind; `n` varies the bytes. */
function records(n: number): RawRecord[] {
  const own = (e: AgentActionEvent, signingKeys = keyring): RawRecord => {
    const value = publisher.encode(e);
    return { key: Buffer.from(e.agentId), value, headers: signHeaders(signingKeys, e.agentId, value) };
  };
  const attested = (e: AgentActionEvent): RawRecord => {
    const value = publisher.encode(e);
    return { key: Buffer.from(e.agentId), value, headers: signAttestedHeaders(keyring, 'otel-ingest', value) };
  };
  const valid = own(event(n));
  const tampered = Buffer.from(valid.value!);
  tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
  return [
    valid,
    own(event(n, { agentId: 'agent-2' })),
    attested(event(n, { agentId: 'py-agent-7', attributes: { [PROVENANCE_ATTRIBUTE]: 'otel-ingest' } })),
    attested(event(n, { agentId: 'py-agent-7' })), // attested, but the signed bytes do not say so
    own(event(n, { attributes: { [PROVENANCE_ATTRIBUTE]: 'otel-ingest' } })), // the agent claiming an attester
    { ...valid, headers: { ...valid.headers, [HEADER_ATTESTER]: 'mcp-gateway' } }, // an attester without a key
    { ...valid, headers: { ...valid.headers, [HEADER_ATTESTER]: 'Not A Name' } },
    { ...valid, headers: undefined }, // missing
    { ...valid, headers: { [HEADER_KID]: 'k1' } }, // missing
    { ...valid, value: tampered }, // invalid (or undecodable, if the flipped bit broke the framing)
    { ...valid, headers: { ...valid.headers, [HEADER_SIG]: signHeaders(keyring, 'agent-2', valid.value!)[HEADER_SIG] } }, // invalid
    { ...valid, headers: { ...valid.headers, [HEADER_KID]: 'k9' } }, // unknown key
    own(event(n, { agentId: 'stranger' }), strangerKeys), // an agent the detector's keyring does not know
    { ...valid, key: Buffer.from('agent-2') }, // key does not match the agentId
    { ...valid, key: null },
    { ...valid, key: Buffer.from('*'), value: publisher.encode(event(n, { agentId: '*' })) }, // bad identity
    own(event(n, { timestamp: Date.now() + 3_600_000 })), // timestamp skew
    { ...valid, value: Buffer.alloc(DEFAULT_LIMITS.maxMessageBytes + 1) }, // oversized
    { ...valid, headers: { ...valid.headers, pad: 'p'.repeat(DEFAULT_LIMITS.maxHeaderBytes) } }, // oversized headers
    { ...valid, value: Buffer.from('not avro at all') }, // undecodable
    { ...valid, value: null },
  ];
}

describe('intake with signatures on a worker pool', () => {
  beforeAll(async () => {
    await publisher.connect();
    await publisher.disconnect();
  });
  afterAll(() => pool.close());

  it('gives every record classify()\'s verdict, inline and on 2 workers, in order', async () => {
    const batch = Array.from({ length: 40 }, (_, n) => records(n)).flat();
    await preloadSchemas(codec, batch);
    const now = Date.now();
    const one = batch.map((r) => classify(r, codec, keyring, DEFAULT_LIMITS, now));
    const inline = await classifyBatch(batch, codec, createVerifier(keyring, 0), DEFAULT_LIMITS, now);
    const onWorkers = await classifyBatch(batch, codec, pool, DEFAULT_LIMITS, now);
    expect(inline).toEqual(one);
    expect(onWorkers).toEqual(one);
    // The table does exercise every verdict: accepted, each signature reason, and the earlier refusals.
    const reasons = new Set(one.map((v) => (v.kind === 'event' ? 'accepted' : v.reason)));
    for (const r of ['accepted', 'event.signature-missing', 'event.signature-invalid', 'event.unknown-key', 'event.invalid', 'event.bad-identity', 'event.timestamp-skew', 'event.oversized', 'event.oversized-headers', 'event.undecodable']) {
      expect(reasons, r).toContain(r);
    }
    expect(one.filter((v) => v.kind === 'event')).toHaveLength(3 * 40); // agent-1, agent-2, attested with provenance
  });
});
