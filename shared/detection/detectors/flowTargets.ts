/**
 * The flow detector's memory of where an agent sends things: a small bounded
 * set of hashed destinations (host, recipient domain, payee) with the hour of
 * their last use. Hashes, not names, so the state stays a few numbers per
 * destination whatever the names' lengths; a 32-bit collision (about 2 in a
 * million at the cap) makes one new destination look known, a miss we accept
 * for the size. Seeded with the deployment's secret (baseline/seenSet.ts
 * nameSeeds), so an agent cannot search offline for a host that collides. The least recently used entry goes first when the set is full,
 * and an entry unused for the TTL counts as unknown again.
 */
import { nameHashA } from '../baseline/seenSet.js';
import { HOUR_MS } from '../time.js';

/** Destinations remembered per agent (research agents meet hundreds of hosts; the oldest are forgotten). */
export const KNOWN_TARGETS_CAP = 128;
/**
 * Slots a new set starts with; it doubles when full, up to the cap. Most agents send to a handful of
 * destinations: at the cap for every agent, the two arrays were ~1.2 KB of an agent's ~34 KB
 * (bench/memory-breakdown.ts, 2026-12-03), for one destination used.
 */
const INITIAL_SLOTS = 4;

export interface KnownTargets {
  /**
   * Slot i at [2i, 2i + 2): the FNV-1a of the lowercased destination, and the hour (epoch ms / 1 h) of its last
   * use. Slots [0, count) are used; the array holds `slots.length / 2` (one array, not two: each typed array costs
   * ~180 bytes of bookkeeping besides its values).
   */
  slots: Uint32Array;
  count: number;
}

export interface KnownTargetsJson {
  hashes: number[];
  lastUseHour: number[];
}

export function createKnownTargets(capacity = INITIAL_SLOTS): KnownTargets {
  return { slots: new Uint32Array(2 * Math.min(KNOWN_TARGETS_CAP, Math.max(1, capacity))), count: 0 };
}

/** 32-bit FNV-1a over the UTF-16 code units of the lowercased name (the seen-sets' first hash, with its seed). */
export function targetHash(target: string, seed = 0): number {
  return nameHashA(target.toLowerCase(), seed);
}

function slotOf(set: KnownTargets, hash: number): number {
  const slots = set.slots;
  for (let i = 0; i < set.count; i++) if (slots[2 * i] === hash) return i;
  return -1;
}

/** Whether the agent used this destination within `ttlMs` before `now`. */
export function isKnownTarget(set: KnownTargets, hash: number, now: number, ttlMs: number): boolean {
  const i = slotOf(set, hash);
  return i >= 0 && now - set.slots[2 * i + 1]! * HOUR_MS <= ttlMs;
}

/** Record a use of the destination at `now` (evicting the least recently used one when full). */
export function rememberTarget(set: KnownTargets, hash: number, now: number): void {
  const hour = Math.floor(now / HOUR_MS);
  let i = slotOf(set, hash);
  if (i < 0) {
    if (set.count < KNOWN_TARGETS_CAP) {
      if (2 * set.count === set.slots.length) {
        const grown = new Uint32Array(Math.min(2 * KNOWN_TARGETS_CAP, 2 * set.slots.length));
        grown.set(set.slots);
        set.slots = grown;
      }
      i = set.count++;
    } else {
      i = 0;
      for (let j = 1; j < set.count; j++) if (set.slots[2 * j + 1]! < set.slots[2 * i + 1]!) i = j;
    }
    set.slots[2 * i] = hash;
  }
  set.slots[2 * i + 1] = hour;
}

export function knownTargetsToJson(set: KnownTargets): KnownTargetsJson {
  const hashes: number[] = [];
  const lastUseHour: number[] = [];
  for (let i = 0; i < set.count; i++) {
    hashes.push(set.slots[2 * i]!);
    lastUseHour.push(set.slots[2 * i + 1]!);
  }
  return { hashes, lastUseHour };
}

export function knownTargetsFromJson(o: KnownTargetsJson): KnownTargets {
  const n = Math.min(KNOWN_TARGETS_CAP, o.hashes.length, o.lastUseHour.length);
  const set = createKnownTargets(Math.max(INITIAL_SLOTS, n));
  for (let i = 0; i < n; i++) {
    set.slots[2 * i] = o.hashes[i]!;
    set.slots[2 * i + 1] = o.lastUseHour[i]!;
  }
  set.count = n;
  return set;
}
