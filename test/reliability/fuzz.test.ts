/**
 * ≥ 10,000 malformed messages interleaved with valid events: every valid event
 * is processed, every malformed one is in the DLQ with a reason, and the
 * counts add up exactly. The consumer never stops.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetPublisher } from '../../cli/simulate/publisher.js';
import { DLQ_HEADERS } from '../../shared/kafka/deadLetter.js';
import type { DetectorService } from '../../services/detector/service.js';
import { createKafka, type Message } from '../../shared/kafka/index.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { counterValue, keyringFor, readTopic, startDetector, steadyEvents } from '../support/detector.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const MALFORMED = 10_000;
const config = isolatedConfig('fuzz', { events: 3 });
const agents = Array.from({ length: 20 }, (_, i) => `fuzz-agent-${i}`);
const keyring = keyringFor(agents);
const valid = steadyEvents(agents, 50, 60_000, Date.now() - 60_000);

type Case = { kind: string; expect: string | null; build: (p: FleetPublisher, e: AgentActionEvent) => Message };

const randomBytes = fc.uint8Array({ minLength: 0, maxLength: 300 });
const CASES = (bytes: Uint8Array, cut: number): Case[] => [
  { kind: 'random bytes', expect: null, build: () => ({ key: 'x', value: Buffer.from(bytes) }) },
  { kind: 'null value', expect: 'event.undecodable', build: (_p, e) => ({ key: e.agentId, value: null }) },
  { kind: 'bad magic', expect: 'event.undecodable', build: (p, e) => { const v = p.encode(e); v[0] = 7; return { key: e.agentId, value: v }; } },
  { kind: 'unknown schema id', expect: 'event.unknown-schema', build: (p, e) => { const v = p.encode(e); v.writeInt32BE(987_654, 1); return { key: e.agentId, value: v }; } },
  { kind: 'random body', expect: null, build: (p, e) => ({ key: e.agentId, value: Buffer.concat([p.encode(e).subarray(0, 5), Buffer.from(bytes)]) }) },
  { kind: 'truncated', expect: 'event.schema-mismatch', build: (p, e) => { const v = p.encode(e); return { key: e.agentId, value: v.subarray(0, 5 + (cut % (v.length - 6)) + 1) }; } },
  { kind: 'oversized', expect: 'event.oversized', build: (p, e) => ({ key: e.agentId, value: Buffer.concat([p.encode(e), Buffer.alloc(66_000)]) }) },
  { kind: 'unsigned', expect: 'event.signature-missing', build: (p, e) => p.message({ event: e, forge: 'missing' }) },
  { kind: 'forged', expect: 'event.signature-invalid', build: (p, e) => p.message({ event: e, forge: 'invalid' }) },
  { kind: 'unknown key', expect: 'event.unknown-key', build: (p, e) => p.message({ event: e, forge: 'unknown-key' }) },
  { kind: 'key mismatch', expect: 'event.invalid', build: (p, e) => ({ ...p.message({ event: e }), key: 'someone-else' }) },
  { kind: 'future timestamp', expect: 'event.timestamp-skew', build: (p, e) => p.message({ event: { ...e, timestamp: Date.now() + 86_400_000 } }) },
];

describe('fuzz: malformed input never stops the detector and is never lost', () => {
  let detector: DetectorService;
  beforeAll(async () => {
    await provisionTopics(config);
    detector = await startDetector(config, keyring);
  });
  afterAll(async () => detector?.stop());

  it(`routes ${MALFORMED} malformed messages to the DLQ with reasons and processes every valid event`, async () => {
    const publisher = new FleetPublisher(createKafka(config, testLogger), config, keyring);
    await publisher.connect();
    const samples = fc.sample(fc.tuple(randomBytes, fc.nat(), fc.nat({ max: 11 }), fc.nat({ max: valid.length - 1 })), { numRuns: MALFORMED, seed: 20261124 });
    const expected = new Map<string, number>();
    const bad: { msg: Message; expect: string | null }[] = samples.map(([bytes, cut, which, base]) => {
      const c = CASES(bytes, cut)[which]!;
      // Events used as the base of a malformed message get ids of their own: they are not the valid ones.
      const e = { ...valid[base]!, eventId: `bad-${which}-${cut}`, seq: 1 };
      if (c.expect) expected.set(c.expect, (expected.get(c.expect) ?? 0) + 1);
      return { msg: c.build(publisher, e), expect: c.expect };
    });
    // Interleave: after each valid event, a run of malformed ones, in a fixed order.
    const stream: Message[] = [];
    const perValid = Math.ceil(bad.length / valid.length);
    valid.forEach((e, i) => {
      stream.push(publisher.message({ event: e }));
      for (const b of bad.slice(i * perValid, (i + 1) * perValid)) stream.push(b.msg);
    });
    expect(stream).toHaveLength(valid.length + MALFORMED);
    // Small requests: a produce request holding several oversized records would exceed the broker's limit.
    for (let i = 0; i < stream.length; i += 100) await publisher.sendRaw(stream.slice(i, i + 100));
    await publisher.disconnect();

    const total = stream.length;
    await eventually(
      async () => (await counterValue(detector, 'warden_detector_events_total')) >= total,
      120_000,
      'the detector to consume everything',
    );
    const byReason = (await detector.registry.getSingleMetric('warden_detector_dlq_total')!.get()).values.map((v) => `${v.labels.reason}=${v.value}`);
    expect(await counterValue(detector, 'warden_detector_events_total', { result: 'processed' }), byReason.join(' ')).toBe(valid.length);
    expect(await counterValue(detector, 'warden_detector_events_total', { result: 'dlq' })).toBe(MALFORMED);
    expect(detector.ready).toBe(true);

    const dlq = await readTopic(config, config.topics.dlq.name, MALFORMED, 120_000);
    expect(dlq).toHaveLength(MALFORMED);
    const reasons = new Map<string, number>();
    for (const m of dlq) {
      const reason = m.headers?.[DLQ_HEADERS.reason]?.toString();
      expect(reason, 'every dead letter carries a reason').toMatch(/^event\./);
      expect(m.headers?.[DLQ_HEADERS.offset]).toBeDefined();
      reasons.set(reason!, (reasons.get(reason!) ?? 0) + 1);
    }
    // Every crafted kind landed under its own reason (random ones add to some of these counts).
    for (const [reason, n] of expected) expect(reasons.get(reason) ?? 0, reason).toBeGreaterThanOrEqual(n);
    expect([...reasons.values()].reduce((a, b) => a + b, 0)).toBe(MALFORMED);
  });
});
