/**
 * The flow detector's known destinations: a set that starts small and grows to its cap (an agent with one
 * destination pays for a few slots, not for 128), forgets the least recently used one at the cap, and survives
 * its JSON form.
 */
import { describe, expect, it } from 'vitest';
import { KNOWN_TARGETS_CAP, createKnownTargets, isKnownTarget, knownTargetsFromJson, knownTargetsToJson, rememberTarget } from '../../../shared/detection/detectors/flowTargets.js';
import { HOUR_MS } from '../../../shared/detection/time.js';

const T = 1_780_000_000_000;
const TTL = 30 * 24 * HOUR_MS;

describe('known targets', () => {
  it('an agent with one destination keeps a few slots, not the cap', () => {
    const set = createKnownTargets();
    rememberTarget(set, 0xabc, T);
    expect(set.count).toBe(1);
    expect(set.slots.length).toBeLessThanOrEqual(8);
    expect(isKnownTarget(set, 0xabc, T + HOUR_MS, TTL)).toBe(true);
    expect(isKnownTarget(set, 0xabd, T, TTL)).toBe(false);
  });

  it('grows to the cap keeping every destination, then forgets the least recently used', () => {
    const set = createKnownTargets();
    for (let i = 0; i < KNOWN_TARGETS_CAP; i++) rememberTarget(set, 1000 + i, T + i * HOUR_MS);
    expect(set.count).toBe(KNOWN_TARGETS_CAP);
    expect(set.slots.length).toBe(2 * KNOWN_TARGETS_CAP);
    const now = T + KNOWN_TARGETS_CAP * HOUR_MS;
    for (let i = 0; i < KNOWN_TARGETS_CAP; i++) expect(isKnownTarget(set, 1000 + i, now, TTL)).toBe(true);
    // Destination 1000 is used again: 1001 is now the least recently used, and the newcomer replaces it.
    rememberTarget(set, 1000, now);
    rememberTarget(set, 5000, now + HOUR_MS);
    expect(set.count).toBe(KNOWN_TARGETS_CAP);
    expect(set.slots.length).toBe(2 * KNOWN_TARGETS_CAP);
    expect(isKnownTarget(set, 1001, now + HOUR_MS, TTL)).toBe(false);
    expect(isKnownTarget(set, 1000, now + HOUR_MS, TTL)).toBe(true);
    expect(isKnownTarget(set, 5000, now + HOUR_MS, TTL)).toBe(true);
  });

  it('a destination unused for the TTL is unknown again', () => {
    const set = createKnownTargets();
    rememberTarget(set, 7, T);
    // Uses are kept by the hour: known until the TTL has passed since the start of the hour of the last use.
    expect(isKnownTarget(set, 7, T + TTL - HOUR_MS, TTL)).toBe(true);
    expect(isKnownTarget(set, 7, T + TTL + 2 * HOUR_MS, TTL)).toBe(false);
  });

  it('round-trips through JSON and goes on alike', () => {
    const live = createKnownTargets();
    for (let i = 0; i < 9; i++) rememberTarget(live, 300 + i, T + i * HOUR_MS);
    const json = knownTargetsToJson(live);
    expect(json).toEqual({ hashes: Array.from({ length: 9 }, (_, i) => 300 + i), lastUseHour: Array.from({ length: 9 }, (_, i) => Math.floor((T + i * HOUR_MS) / HOUR_MS)) });
    const restored = knownTargetsFromJson(JSON.parse(JSON.stringify(json)));
    for (let i = 0; i < 200; i++) for (const set of [live, restored]) rememberTarget(set, 300 + ((i * 7) % 150), T + (10 + i) * HOUR_MS);
    expect(knownTargetsToJson(restored)).toEqual(knownTargetsToJson(live));
  });
});
