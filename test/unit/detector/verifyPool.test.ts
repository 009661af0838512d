/**
 * Signature verification on worker threads gives exactly the inline verdicts, in order, for every case
 * intake meets; a worker that dies fails the batch (never a valid), and the pool replaces it; close() ends it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createVerifier, VerifyPool, VerifyWorkerError, type SignedRecord, type Verifier } from '../../../services/detector/verifyPool.js';
import { HEADER_ATTESTER, HEADER_KID, HEADER_SIG, Keyring, signAttestedHeaders, signHeaders, verifySignature, type Verification } from '../../../shared/signing/index.js';

const keyring = new Keyring({
  'agent-1': { k1: 'agent-one-secret-0123456789', k2: 'agent-one-rotated-0123456789' },
  'agent-2': { k1: 'agent-two-secret-0123456789' },
  'attester:otel-ingest': { o1: 'otel-ingest-secret-0123456789' },
});

const value = (n: number) => Buffer.from(`event bytes ${n} `.repeat(1 + (n % 7)));

/** Every kind of record verification meets, with the verdict it must get. */
function cases(n: number): { name: string; record: SignedRecord; expected: Verification }[] {
  const v = value(n);
  const own = signHeaders(keyring, 'agent-1', v);
  const attested = signAttestedHeaders(keyring, 'otel-ingest', v);
  const tampered = Buffer.concat([v, Buffer.from('!')]);
  return [
    { name: 'signed by the agent', record: { agentId: 'agent-1', value: v, headers: own }, expected: 'valid' },
    { name: 'an older kid still in the keyring', record: { agentId: 'agent-1', value: v, headers: { ...own, [HEADER_KID]: 'k1', [HEADER_SIG]: sig('agent-one-secret-0123456789', v) } }, expected: 'valid' },
    { name: 'headers as Buffers and arrays (as kafkajs gives them)', record: { agentId: 'agent-1', value: v, headers: { [HEADER_KID]: [Buffer.from(own[HEADER_KID]!)], [HEADER_SIG]: Buffer.from(own[HEADER_SIG]!) } }, expected: 'valid' },
    { name: 'attested by otel-ingest', record: { agentId: 'py-agent-7', value: v, headers: attested }, expected: 'valid' },
    { name: 'no headers', record: { agentId: 'agent-1', value: v }, expected: 'missing' },
    { name: 'no signature', record: { agentId: 'agent-1', value: v, headers: { [HEADER_KID]: 'k2' } }, expected: 'missing' },
    { name: 'no kid', record: { agentId: 'agent-1', value: v, headers: { [HEADER_SIG]: own[HEADER_SIG] } }, expected: 'missing' },
    { name: 'an empty header array', record: { agentId: 'agent-1', value: v, headers: { ...own, [HEADER_KID]: [] } }, expected: 'missing' },
    { name: 'bytes changed after signing', record: { agentId: 'agent-1', value: tampered, headers: own }, expected: 'invalid' },
    { name: 'another agent\'s signature', record: { agentId: 'agent-2', value: v, headers: { ...signHeaders(keyring, 'agent-2', v), [HEADER_SIG]: own[HEADER_SIG] } }, expected: 'invalid' },
    { name: 'a signature of the wrong length', record: { agentId: 'agent-1', value: v, headers: { ...own, [HEADER_SIG]: 'Zm9v' } }, expected: 'invalid' },
    { name: 'an agent with no key', record: { agentId: 'stranger', value: v, headers: own }, expected: 'unknown-key' },
    { name: 'a kid the agent does not have', record: { agentId: 'agent-1', value: v, headers: { ...own, [HEADER_KID]: 'k9' } }, expected: 'unknown-key' },
    { name: 'an attester without a key', record: { agentId: 'py-agent-7', value: v, headers: { ...attested, [HEADER_ATTESTER]: 'mcp-gateway' } }, expected: 'unknown-key' },
    { name: 'a malformed attester name', record: { agentId: 'agent-1', value: v, headers: { ...own, [HEADER_ATTESTER]: 'Not A Name' } }, expected: 'unknown-key' },
    { name: 'an empty value', record: { agentId: 'agent-1', value: Buffer.alloc(0), headers: signHeaders(keyring, 'agent-1', Buffer.alloc(0)) }, expected: 'valid' },
  ];
}

function sig(secret: string, bytes: Buffer): string {
  return signHeaders(new Keyring({ x: { k: secret } }), 'x', bytes)[HEADER_SIG]!;
}

const open: Verifier[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});
function pool(workers: number, workerUrl?: URL): VerifyPool {
  const p = new VerifyPool(keyring, workers, { workerUrl });
  open.push(p);
  return p;
}

describe('signature verification pool', () => {
  it('gives every case its verdict, the same inline and on 2 workers, in order across many chunks', async () => {
    // 16 cases x 120 = 1,920 records: several chunks per worker, each case in many of them.
    const table = Array.from({ length: 120 }, (_, n) => cases(n)).flat();
    const records = table.map((c) => c.record);
    const inline = createVerifier(keyring, 0);
    const onWorkers = pool(2);
    const [fromInline, fromPool] = await Promise.all([inline.verify(records), onWorkers.verify(records)]);
    expect(fromInline).toEqual(table.map((c) => c.expected));
    expect(fromPool).toEqual(fromInline);
    // And both are what verifySignature itself says.
    expect(fromPool).toEqual(records.map((r) => verifySignature(keyring, r.agentId, r.value, r.headers)));
    const kinds = new Set(fromPool);
    expect(kinds).toEqual(new Set(['valid', 'missing', 'invalid', 'unknown-key']));
  });

  it('answers concurrent batches each with its own verdicts (partitions in flight share the pool)', async () => {
    const p = pool(2);
    const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 50 + b * 97 }, (_, n) => cases(n + b)[(n + b) % 16]!));
    const answers = await Promise.all(batches.map((batch) => p.verify(batch.map((c) => c.record))));
    answers.forEach((got, b) => expect(got).toEqual(batches[b]!.map((c) => c.expected)));
    expect(await p.verify([])).toEqual([]);
  });

  it('a worker that dies fails the batch instead of answering, and the next batch gets a new worker', async () => {
    const p = pool(1, new URL('./fixtures/crashingVerifyWorker.ts', import.meta.url));
    const good = cases(1);
    const crash = [...good.map((c) => c.record), { agentId: 'crash-me', value: value(1), headers: signHeaders(keyring, 'agent-1', value(1)) }];
    await expect(p.verify(crash)).rejects.toThrow(VerifyWorkerError);
    await expect(p.verify(crash)).rejects.toThrow(/exited \(code 3\)/);
    expect(await p.verify(good.map((c) => c.record))).toEqual(good.map((c) => c.expected));
  });

  it('close() fails what is in flight (never valid), refuses new work, and may be called twice', async () => {
    const p = pool(2);
    const records = Array.from({ length: 4000 }, (_, n) => cases(n)[0]!.record);
    const inFlight = expect(p.verify(records)).rejects.toThrow(/closed/);
    await p.close();
    await inFlight;
    await expect(p.verify(records.slice(0, 1))).rejects.toThrow(VerifyWorkerError);
    await p.close();
  });

  it('refuses a pool of no workers (0 is the inline verifier)', () => {
    expect(() => new VerifyPool(keyring, 0)).toThrow(RangeError);
  });
});
