import { describe, expect, it } from 'vitest';
import { createSeenSet, hourOf, lastUseHour, markUsed, nameHashA, nameHashB, seenSetFromNames, seenSetFromParts, seenSetParts, sweepSeen, type SeenSet } from '../../../shared/detection/baseline/seenSet.js';
import { DAY_MS, HOUR_MS, T0, event, merge, only, renumber, resumeWithState, stream } from './helpers.js';
import { fnvCollisions } from './fnvCollision.js';
import type { Json } from '../../../shared/detection/index.js';

const use = (set: SeenSet, name: string, hour: number) => markUsed(set, nameHashA(name), nameHashB(name), hour);
const last = (set: SeenSet, name: string) => lastUseHour(set, nameHashA(name), nameHashB(name));

describe('seen-set (hashed names with their last use)', () => {
  it('knows what it was given, past many doublings, and nothing else', () => {
    const set = createSeenSet();
    for (let i = 0; i < 5000; i++) expect(use(set, `mail-${i}.customer.example`, 100 + (i % 7))).toBe(true);
    expect(set.size).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(last(set, `mail-${i}.customer.example`)).toBe(100 + (i % 7));
    for (let i = 5000; i < 10000; i++) expect(last(set, `mail-${i}.customer.example`)).toBe(-1);
    // A repeat is not new; its last use only moves forward.
    expect(use(set, 'mail-3.customer.example', 500)).toBe(false);
    expect(use(set, 'mail-3.customer.example', 400)).toBe(false);
    expect(last(set, 'mail-3.customer.example')).toBe(500);
    expect(set.size).toBe(5000);
  });

  it('names crafted to collide in the first hash are told apart by the second', () => {
    // FNV-1a is steered by a name's last characters (fnvCollision.ts); the second hash is built differently.
    const crafted = fnvCollisions('kb/articles', 5);
    const set = createSeenSet();
    use(set, 'kb/articles', 10);
    for (const name of crafted) {
      expect(nameHashA(name)).toBe(nameHashA('kb/articles'));
      expect(nameHashB(name)).not.toBe(nameHashB('kb/articles'));
      expect(last(set, name)).toBe(-1);
    }
    for (const name of crafted) expect(use(set, name, 11)).toBe(true);
    expect(set.size).toBe(6);
    expect(last(set, 'kb/articles')).toBe(10);
  });

  it('forgets names unused since the cutoff, then the oldest past the cap', () => {
    const set = createSeenSet();
    for (let i = 0; i < 30; i++) use(set, `item-${i}`, i);
    sweepSeen(set, 10, 100);
    expect(set.size).toBe(20);
    expect(last(set, 'item-9')).toBe(-1);
    expect(last(set, 'item-10')).toBe(10);
    sweepSeen(set, 0, 5);
    expect(set.size).toBe(5);
    expect([...Array(30).keys()].filter((i) => last(set, `item-${i}`) >= 0)).toEqual([25, 26, 27, 28, 29]);
    // Still a working set after the rebuild.
    expect(use(set, 'item-0', 40)).toBe(true);
    expect(last(set, 'item-0')).toBe(40);
  });

  it('its snapshot parts do not depend on the order names came in, and restore the same set', () => {
    const names = Array.from({ length: 300 }, (_, i) => [`host-${i}.example`, 1000 + (i % 13)] as const);
    const forward = createSeenSet();
    const backward = createSeenSet();
    for (const [n, h] of names) use(forward, n, h);
    for (const [n, h] of [...names].reverse()) use(backward, n, h);
    expect(seenSetParts(backward)).toEqual(seenSetParts(forward));
    const restored = seenSetFromParts(JSON.parse(JSON.stringify(seenSetParts(forward))));
    expect(restored.size).toBe(300);
    for (const [n, h] of names) expect(last(restored, n)).toBe(h);
    expect(seenSetParts(restored)).toEqual(seenSetParts(forward));
  });

  it('refuses malformed parts (tampered bytes) with an error, and migrates names with times (version 1)', () => {
    expect(() => seenSetFromParts({ hashesA: [1, 2], hashesB: [1], lastUseHourSteps: [1, 0] })).toThrow(/different lengths/);
    expect(() => seenSetFromParts({ hashesA: [2 ** 33], hashesB: [1], lastUseHourSteps: [1] })).toThrow(/out of range/);
    expect(() => seenSetFromParts({ hashesA: [1], hashesB: [1], lastUseHourSteps: [-5] })).toThrow(/out of range/);
    expect(() => seenSetFromNames([[42 as unknown as string, 1]])).toThrow(/not \[name, time\]/);
    const v1 = seenSetFromNames([['kb/articles', T0 + 90 * 60_000], ['crm.orders', T0]]);
    expect(last(v1, 'kb/articles')).toBe(hourOf(T0) + 1);
    expect(last(v1, 'crm.orders')).toBe(hourOf(T0));
    expect(last(v1, 'secrets/db')).toBe(-1);
  });

  it('unusual-access restores a version 1 state (names, ms) and judges later events on it as before', () => {
    const base = stream({ to: T0 + 2 * DAY_MS, perBucket: 3, resources: ['search_kb', 'crm.orders'] });
    const later = [event({ timestamp: T0 + DAY_MS + 8 * HOUR_MS, resource: 'crm.orders' }), event({ timestamp: T0 + DAY_MS + 9 * HOUR_MS, resource: 'secrets/prod/db-password' })];
    const events = renumber(merge(base, later));
    const cut = events.findIndex((e) => e.timestamp >= T0 + DAY_MS + 7 * HOUR_MS);
    // The state at the cut, rewritten as version 1 held it: every name this agent used, with a last use in ms.
    const names = (resources: string[]) => resources.map((r) => [r, T0 + DAY_MS + 6 * HOUR_MS]);
    const asV1 = (own: Json): Json => {
      const o = own as { version: number; seen: unknown[] };
      expect(o.version).toBe(2);
      return { ...(own as object), version: undefined, seen: [names(['search_kb', 'crm.orders']), names(['example.com']), names([...new Set(base.map((e) => e.action))])] } as unknown as Json;
    };
    const { rest, engine } = resumeWithState(events, cut, 'unusual-access', (own) => JSON.parse(JSON.stringify(asV1(own))) as Json);
    expect(only(rest, 'unusual-access.resource').map((a) => a.evidence.details.resource)).toEqual(['secrets/prod/db-password']);
    // The migrated names are known (hashed as the detector hashes them): the two resources and the new secret.
    const after = engine.snapshotAgent('agent-1')!.detectors['unusual-access'] as unknown as { seen: { hashesA: number[] }[] };
    expect(after.seen[0]!.hashesA).toHaveLength(3);
    expect(after.seen[0]!.hashesA).toContain(nameHashA('crm.orders'));
    expect(() => resumeWithState(events, cut, 'unusual-access', (own) => ({ ...(own as object), version: 9 }) as unknown as Json)).toThrow(/version/);
  });
});
