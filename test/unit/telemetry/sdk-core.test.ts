import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../shared/errors/index.js';
import { BoundedBuffer, KillSwitchState, SequenceCounter, buildEvent, capabilityMatches } from '../../../shared/telemetry/index.js';
import type { QuarantineCommand } from '../../../shared/schemas/generated.js';

const id = { agentId: 'a1', agentRole: 'support', tenantId: 't' };
const opts = { maxTextLength: 16, eventId: 'e1', seq: 1, nowMs: 1_000 };

describe('sequence numbers', () => {
  it('only go up, even when the clock goes back or stands still', () => {
    const clock = [5_000, 5_000, 4_000, 9_000, 1_000];
    const seq = new SequenceCounter(() => clock.shift() ?? 0);
    const values = [seq.next(), seq.next(), seq.next(), seq.next(), seq.next()];
    expect(values).toEqual([5_000, 5_001, 5_002, 9_000, 9_001]);
  });

  it('a restarted agent starts above what it sent before', () => {
    let now = 1_700_000_000_000_000;
    const first = new SequenceCounter(() => now);
    let last = 0;
    for (let i = 0; i < 1000; i++) last = first.next(); // a burst within one microsecond
    now += 1; // restart a microsecond later
    expect(new SequenceCounter(() => now).next()).toBeLessThan(last); // why the clock alone is not enough...
    expect(new SequenceCounter(() => now * 1, last).next()).toBe(last + 1); // ...and the counter carries the floor
    expect(Number.isSafeInteger(new SequenceCounter().next())).toBe(true);
  });
});

describe('building events', () => {
  it('fills defaults and keeps what was given', () => {
    const e = buildEvent(id, { action: 'data.read', resource: 'crm.customers', records: 3 }, opts);
    expect(e).toMatchObject({ agentId: 'a1', action: 'data.read', outcome: 'SUCCESS', records: 3, bytesOut: 0, timestamp: 1_000, seq: 1, text: null, attributes: {} });
  });

  it('truncates long text and marks it', () => {
    const e = buildEvent(id, { action: 'prompt.input', text: 'x'.repeat(100) }, opts);
    expect(e.text).toHaveLength(16);
    expect(e.attributes.textTruncated).toBe('true');
  });

  it('flags actions outside the vocabulary but accepts them', () => {
    expect(buildEvent(id, { action: 'crm.ticket_update' }, opts).attributes.vocabulary).toBe('unknown');
    expect(buildEvent(id, { action: 'data.read' }, opts).attributes.vocabulary).toBeUndefined();
  });

  it.each([
    [{ action: 'Data Read' }, 'action'],
    [{ action: 'data.read', bytesOut: -1 }, 'bytesOut'],
    [{ action: 'data.read', records: 1.5 }, 'records'],
    [{ action: 'data.read', records: '3' }, 'records'],
    [{ action: 'payment.transfer', amount: Number.NaN }, 'amount'],
    [{ action: 'payment.transfer', currency: 'euro' }, 'currency'],
    [{ action: 'data.read', outcome: 'MAYBE' }, 'outcome'],
    [{ action: 'data.read', attributes: { n: 3 } }, 'attributes.n'],
    [{ action: 'data.read', colour: 'red' }, '(action)'],
    [{}, 'action'],
  ])('rejects %j with a typed error naming %s', (input, field) => {
    try {
      buildEvent(id, input as never, opts);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidEventError);
      expect((err as InvalidEventError).field).toBe(field);
      expect((err as InvalidEventError).reason).toBe('event.invalid');
    }
  });

  it('does not quote the text in an error', () => {
    expect(() => buildEvent(id, { action: 'data.read', text: 'SECRET-TEXT', bytesIn: -5 }, opts)).toThrow(/^(?!.*SECRET-TEXT)/);
  });
});

describe('bounded buffer', () => {
  it('drop-oldest drops and counts, never silently', async () => {
    const dropped: number[] = [];
    const b = new BoundedBuffer<number>(3, 'drop-oldest', (item) => dropped.push(item));
    for (let i = 1; i <= 5; i++) await b.push(i);
    expect(b.take(10)).toEqual([3, 4, 5]);
    expect(dropped).toEqual([1, 2]);
    expect(b.dropped).toBe(2);
  });

  it('block makes push wait until there is room', async () => {
    const b = new BoundedBuffer<number>(2, 'block');
    await b.push(1);
    await b.push(2);
    let done = false;
    const third = b.push(3).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    expect(b.take(1)).toEqual([1]);
    await third;
    expect(done).toBe(true);
    expect(b.take(5)).toEqual([2, 3]);
    expect(b.dropped).toBe(0);
  });

  it('a failed batch goes back to the front', async () => {
    const b = new BoundedBuffer<number>(10, 'block');
    for (const i of [1, 2, 3]) await b.push(i);
    const batch = b.take(2);
    b.unshift(batch);
    expect(b.take(10)).toEqual([1, 2, 3]);
  });
});

const cmd = (over: Partial<QuarantineCommand>): QuarantineCommand => ({
  commandId: 'c1', agentId: 'a1', type: 'QUARANTINE', revokedCapabilities: [], reason: 'test', alertIds: [], issuedBy: 'test', issuedAt: 0, expiresAt: null, ...over,
});

describe('kill switch state', () => {
  it('refuses everything until the feed has been read', () => {
    const s = new KillSwitchState();
    expect(s.check('data.read', 0).allowed).toBe(false);
    s.caughtUp = true;
    expect(s.check('data.read', 0).allowed).toBe(true);
  });

  it('quarantine refuses all, throttle only revoked capabilities, release restores', () => {
    const s = new KillSwitchState();
    s.caughtUp = true;
    s.apply(cmd({ type: 'THROTTLE', revokedCapabilities: ['payment.*'] }));
    expect(s.check('payment.transfer', 0).allowed).toBe(false);
    expect(s.check('data.read', 0).allowed).toBe(true);
    s.apply(cmd({ type: 'QUARANTINE', commandId: 'c2' }));
    expect(s.check('data.read', 0).allowed).toBe(false);
    s.apply(cmd({ type: 'RELEASE', commandId: 'c3' }));
    expect(s.check('payment.transfer', 0).allowed).toBe(true);
  });

  it('an expired command no longer counts', () => {
    const s = new KillSwitchState();
    s.caughtUp = true;
    s.apply(cmd({ expiresAt: 100 }));
    expect(s.check('x', 99).allowed).toBe(false);
    expect(s.nextExpiry(50)).toBe(100);
    expect(s.check('x', 100).allowed).toBe(true);
  });

  it('the fleet-wide kill switch stops every agent, and fail-closed refuses while the feed is lost', () => {
    const s = new KillSwitchState();
    s.caughtUp = true;
    s.apply(cmd({ agentId: '*' }));
    expect(s.effective(0).mode).toBe('QUARANTINED');
    s.apply(cmd({ agentId: '*', type: 'RELEASE' }));
    expect(s.effective(0).mode).toBe('ACTIVE');
    s.feedLost = true;
    expect(s.check('data.read', 0).allowed).toBe(false);
  });

  it.each([
    ['payment.*', 'payment.transfer', true],
    ['payment.*', 'payment', true],
    ['payment.*', 'paymentx.transfer', false],
    ['net.egress', 'net.egress', true],
    ['net.egress', 'net.egress2', false],
    ['*', 'anything', true],
  ])('pattern %s on %s -> %s', (p, c, want) => expect(capabilityMatches(p, c)).toBe(want));
});
