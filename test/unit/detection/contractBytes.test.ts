/**
 * Contract, over random streams (fast-check): for every detector, moving an
 * agent's state mid-stream through bytes (snapshotAgentBytes -> a copy of
 * the bytes -> restoreAgentBytes into a fresh engine) gives exactly the same
 * future alerts as never moving it. The streams mix ordinary traffic, bursts,
 * silences (gaps of hours), errors, denials, payments and new resources, so
 * open buckets, armed thresholds, fired bands, gaps and drops are all cut.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { createEngine, DETECTOR_NAMES, decodeSnapshot, encodeSnapshot, SnapshotBytesError, SnapshotVersionError, type DetectionEvent, type Json } from '../../../shared/detection/index.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { encodePlain } from '../../../shared/detection/engine/snapshotBytes.js';
import { SNAPSHOT_DICTIONARY_V3 } from '../../../shared/detection/engine/snapshotDictionary.js';
import { SNAPSHOT_DICTIONARY_V4 } from '../../../shared/detection/engine/snapshotDictionaryV4.js';
import { SNAPSHOT_DICTIONARY_V5 } from '../../../shared/detection/engine/snapshotDictionaryV5.js';
import { bucketedFleet } from '../../../bench/lib/fleet.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';
import { BUCKET_MS, HOUR_MS, T0, event, rulesWith } from './helpers.js';

// A short learning period, so random streams of a few hours reach the own-baseline alerts.
const rules = rulesWith({ engine: { learningPeriodMs: 2 * HOUR_MS } });

function randomStream(seed: number, length: number, burstShare: number): DetectionEvent[] {
  const rng = new Rng(seed);
  const out: DetectionEvent[] = [];
  let ts = T0;
  const actions = ['tool.call', 'data.read', 'auth.login', 'payment.transfer', 'email.send'];
  for (let i = 0; i < length; i++) {
    const r = rng.next();
    // Mostly a few events per bucket; sometimes a burst (many per second), sometimes a silence of hours.
    ts += r < burstShare ? 200 : r > 0.995 ? Math.floor(rng.uniform(1, 6) * HOUR_MS) : Math.floor(rng.uniform(0.2, 2) * (BUCKET_MS / 10));
    const action = actions[rng.int(0, actions.length - 1)]!;
    const outcome = action === 'auth.login' && rng.chance(0.2) ? 'ERROR' : rng.chance(0.03) ? 'DENIED' : 'SUCCESS';
    out.push(
      event({
        timestamp: ts,
        action,
        outcome,
        resource: rng.chance(0.02) ? `table_${rng.int(0, 500)}` : `res_${rng.int(0, 4)}`,
        records: rng.chance(0.01) ? rng.int(1000, 50_000) : rng.int(0, 20),
        bytesOut: Math.round(rng.lognormal(2000, rng.chance(0.01) ? 3 : 0.5)),
        tokens: rng.int(0, 400),
        amount: action === 'payment.transfer' ? Math.round(rng.lognormal(300, rng.chance(0.05) ? 2 : 0.4) * 100) / 100 : null,
        currency: action === 'payment.transfer' ? 'EUR' : null,
      }),
    );
  }
  // Incidents at a random point past the middle: a burst of failed logins, a bulk read, a first touch of a secret.
  const at = out[Math.floor(out.length * rng.uniform(0.5, 0.9))]!.timestamp;
  const extra: DetectionEvent[] = [];
  for (let k = 0; k < 40; k++) extra.push(event({ timestamp: at + k * 500, action: 'auth.login', outcome: 'ERROR', resource: 'idp', records: 0, bytesOut: 0, tokens: 0 }));
  for (let k = 0; k < 10; k++) extra.push(event({ timestamp: at + 30_000 + k * 500, action: 'data.read', resource: 'customers', records: 200_000, bytesOut: 5_000_000, tokens: 0 }));
  extra.push(event({ timestamp: at + 60_000, action: 'secrets.read', resource: 'vault/prod/db-password', records: 1 }));
  const merged = [...out, ...extra].sort((a, b) => a.timestamp - b.timestamp);
  // Sequence numbers in time order (the engine treats a lower seq as a replay).
  merged.forEach((e, i) => (e.seq = i + 1));
  return merged;
}

function alertsOf(engine: ReturnType<typeof createEngine>, list: DetectionEvent[], endTs: number): Alert[] {
  const out: Alert[] = [];
  for (const e of list) out.push(...engine.process(e));
  out.push(...engine.flush(endTs));
  return out;
}

describe.each(DETECTOR_NAMES.map((n) => [n]))('contract over random streams: %s', (name) => {
  it('snapshot -> bytes -> restore mid-stream gives identical future output', () => {
    let compared = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.double({ min: 0, max: 0.3, noNaN: true }), (seed, cutShare, burstShare) => {
        const list = randomStream(seed, 1500, burstShare);
        const cut = Math.floor(list.length * cutShare);
        const endTs = list.at(-1)!.timestamp + 2 * HOUR_MS;
        const straight = createEngine(rules, { detectors: [name] });
        for (let i = 0; i < cut; i++) straight.process(list[i]!);
        const bytes = straight.agentIds().map((id) => [id, straight.snapshotAgentBytes(id)!] as const);
        // Peer state is role-level and travels apart (snapshotPeers), taken at the same cut.
        const peerBytes = new TextEncoder().encode(JSON.stringify(straight.snapshotPeers()));
        const expected = alertsOf(straight, list.slice(cut), endTs);
        const moved = createEngine(rules, { detectors: [name] });
        for (const [id, b] of bytes) moved.restoreAgentBytes(id, Uint8Array.from(b));
        moved.restorePeers(JSON.parse(new TextDecoder().decode(peerBytes)));
        const actual = alertsOf(moved, list.slice(cut), endTs);
        expect(actual).toEqual(expected);
        compared += expected.length;
      }),
      { numRuns: 12 },
    );
    // The property must compare something where the streams carry incidents for the detector (they carry no
    // forgeries, replays, injection text, off-hours pattern or ramp: those detectors are compared on their state alone).
    if (['rate-spike', 'volume-spike', 'error-burst', 'unusual-access'].includes(name)) expect(compared).toBeGreaterThan(0);
  });
});

describe('snapshot bytes codec', () => {
  it('round-trips any JSON value exactly (fast-check)', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => !Object.is(v, -0)),
        fc.integer({ min: -1e9, max: 1e9 }).map((v) => v / 1e4),
        fc.string(),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => !Object.is(v, -0))),
        fc.array(tie('value')),
        fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('value')), // refused: the next test
      ),
    })).value as fc.Arbitrary<Json>;
    // 500 runs: 100 missed a block of decimals holding an integer too large to scale by 1e4 (seen once, fixed).
    fc.assert(
      fc.property(json, (v) => {
        expect(decodeSnapshot(encodeSnapshot(v))).toEqual(v);
      }),
      { numRuns: 500 },
    );
    // That case, pinned.
    expect(decodeSnapshot(encodeSnapshot([34636.3026, -490942170996]))).toEqual([34636.3026, -490942170996]);
  });

  it('refuses an object key __proto__ (tampered bytes cannot give a decoded object another prototype)', () => {
    const tampered = encodeSnapshot(JSON.parse('{"detectors":{"__proto__":{"polluted":true}}}') as Json);
    expect(() => decodeSnapshot(tampered)).toThrow(SnapshotBytesError);
    expect(() => decodeSnapshot(tampered)).toThrow(/__proto__/);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    // Keys named like Object.prototype's members are ordinary keys.
    expect(decodeSnapshot(encodeSnapshot({ constructor: 1, toString: [2], hasOwnProperty: null }))).toEqual({ constructor: 1, toString: [2], hasOwnProperty: null });
  });

  it('refuses bytes that are not ours, of another version, truncated or padded, with a typed error, and counts them', () => {
    const good = encodeSnapshot({ a: [1, 2.5, 3], b: 'x' });
    expect(() => decodeSnapshot(Uint8Array.from([0x7b, 0x7d]))).toThrow(SnapshotVersionError);
    const otherVersion = Uint8Array.from(good);
    otherVersion[2] = 9;
    expect(() => decodeSnapshot(otherVersion)).toThrow(/version 9 is not supported/);
    expect(() => decodeSnapshot(good.subarray(0, good.length - 2))).toThrow(SnapshotBytesError);
    expect(() => decodeSnapshot(Uint8Array.from([...good, 0]))).toThrow(/trailing bytes/);
    const engine = createEngine(rules);
    expect(() => engine.restoreAgentBytes('a', good.subarray(0, 5))).toThrow(SnapshotBytesError);
    expect(() => engine.restoreAgentBytes('a', encodeSnapshot({ v: 1 }))).toThrow(SnapshotVersionError);
    expect(engine.stats().refusedSnapshots).toBe(2);
    expect(engine.agentIds()).toEqual([]);
  });

  it('deflates the body with the preset dictionary (version 5), still reads versions 1 to 4, and refuses a corrupt or padded stream', () => {
    const value: Json = { series: Array.from({ length: 200 }, (_, i) => (i % 7) * 1.5), name: 'agent-1', nested: { a: [1, 2, 3], b: 'x' } };
    const v5 = encodeSnapshot(value);
    expect([...v5.subarray(0, 3)]).toEqual([0x41, 0x57, 5]);
    // The body as version 1 wrote it: the same value bytes, not deflated; version 2 deflated them without a dictionary.
    const plain = encodePlain(value);
    expect(Buffer.compare(inflateRawSync(v5.subarray(3), { dictionary: SNAPSHOT_DICTIONARY_V5 }), Buffer.from(plain))).toBe(0);
    // Versions 3 and 4 deflated them with the dictionaries before this one.
    const v3 = Uint8Array.from([0x41, 0x57, 3, ...deflateRawSync(plain, { level: 2, dictionary: SNAPSHOT_DICTIONARY_V3 })]);
    const v4 = Uint8Array.from([0x41, 0x57, 4, ...deflateRawSync(plain, { level: 2, dictionary: SNAPSHOT_DICTIONARY_V4 })]);
    const v1 = Uint8Array.from([0x41, 0x57, 1, ...plain]);
    const v2 = Uint8Array.from([0x41, 0x57, 2, ...deflateRawSync(plain, { level: 6 })]);
    expect(v5.length).toBeLessThan(v1.length / 2);
    expect(decodeSnapshot(v1)).toEqual(value);
    expect(decodeSnapshot(v2)).toEqual(value);
    expect(decodeSnapshot(v3)).toEqual(value);
    expect(decodeSnapshot(v4)).toEqual(value);
    expect(decodeSnapshot(v5)).toEqual(value);
    // A dictionary version is not another's: version 4's stream read as version 5 is refused.
    expect(() => decodeSnapshot(Uint8Array.from([0x41, 0x57, 5, ...v4.subarray(3)]))).toThrow(SnapshotBytesError);
    for (const v of [v2, v3, v4, v5]) {
      const flipped = Uint8Array.from(v);
      flipped[3] = flipped[3]! ^ 0xff;
      expect(() => decodeSnapshot(flipped)).toThrow(SnapshotBytesError);
      expect(() => decodeSnapshot(Uint8Array.from([...v, 0]))).toThrow(/trailing bytes/);
      expect(() => decodeSnapshot(v.subarray(0, v.length - 3))).toThrow(SnapshotBytesError);
    }
  });

  it('the dictionary pays: a warm agent of a fleet it was not built from is at least 20% smaller than deflated without it', () => {
    const engine = createEngine(rules);
    const ids = ['dict-a', 'dict-b', 'dict-c'];
    for (const e of bucketedFleet(ids, (i) => ['support', 'finance', 'research'][i]!, 48, 3, Date.UTC(2026, 10, 18, 12))) engine.process({ ...e, verification: 'valid' } as DetectionEvent);
    for (const id of ids) {
      const snap = engine.snapshotAgent(id) as unknown as Json;
      const withDictionary = engine.snapshotAgentBytes(id)!.length;
      const without = 3 + deflateRawSync(encodePlain(snap), { level: 6 }).length;
      expect(withDictionary).toBeLessThan(0.8 * without);
      expect(decodeSnapshot(engine.snapshotAgentBytes(id)!)).toEqual(JSON.parse(JSON.stringify(snap)));
    }
  });

  it('writes the same value bytes as the first version-2 encoder (the fast paths change no byte), one value after another', () => {
    // Integers on both sides of 2^31 (the 32-bit varint path), blocks that fit x 1e4 or not (an integer >= 1e11
    // does not), non-ASCII strings, repeated strings (references), mixed and empty arrays.
    const value: Json = {
      ints: [0, 1, -1, 127, 128, -2147483648, 2147483647, 2147483648, 2 ** 40, -(2 ** 40)],
      dec4: [0.5, -1.2345, 99999999999.9999],
      big: [1e12, 0.5],
      f64: [Math.PI, 1],
      mixed: [1, 'a', null, true, false, [], {}],
      text: ['é', 'ü€', '😀', 'key', 'key'],
      n: 1e12,
      d: 0.0001,
      f: Math.E,
      ключ: 'значение',
    };
    // Hex of the body written by the encoder of 13ecac8 (before the shared writer and the one-pass blocks).
    const expected =
      '090a0604696e74730a000a000201fe018002ffffffff0ffeffffff0f8080808010808080808040ffffffffff3f0604646563340a0103904ef1c001feffb3ccd4dfc60306036269670a0202000000a2941a6d42000000000000e03f06036636340a0202182d4454fb210940000000000000f03f06056d69786564080703020601610002010800090006047465787408050602c3a90605c3bce282ac0604f09f988006036b6579070a06016e0380c0a8ca9a3a0601640402060166056957148b0abf05400608d0bad0bbd18ed1870610d0b7d0bdd0b0d187d0b5d0bdd0b8d0b5';
    // Twice: the second encode reuses the writer the first one left (its string table must start empty).
    for (let i = 0; i < 2; i++) expect(Buffer.from(encodePlain(value)).toString('hex')).toBe(expected);
    // encodeSnapshot shares that writer: what it deflates decodes to the value, also right after another encode.
    encodePlain({ other: ['strings', 'first'] });
    expect(decodeSnapshot(encodeSnapshot(value))).toEqual(value);
  });
});
