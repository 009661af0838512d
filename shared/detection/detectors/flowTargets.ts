/**
 * The flow detector's memory of where an agent sends things: a small bounded
 * set of hashed destinations (host, recipient domain, payee) with the hour of
 * their last use. Hashes, not names, so the state stays a few numbers per
 * destination whatever the names' lengths; a 32-bit collision (about 2 in a
 * million at the cap) makes one new destination look known, a miss we accept
 * for the size. The least recently used entry goes first when the set is full,
 * and an entry unused for the TTL counts as unknown again.
 */
import { HOUR_MS } from '../time.js';

/** Destinations remembered per agent (research agents meet hundreds of hosts; the oldest are forgotten). */
export const KNOWN_TARGETS_CAP = 128;

export interface KnownTargets {
  /** FNV-1a of the lowercased destination, one per used slot (slots [0, count)). */
  hashes: Uint32Array;
  /** Hour (epoch ms / 1 h) of the last use of the destination in the same slot. */
  lastUseHour: Uint32Array;
  count: number;
}

export interface KnownTargetsJson {
  hashes: number[];
  lastUseHour: number[];
}

export function createKnownTargets(): KnownTargets {
  return { hashes: new Uint32Array(KNOWN_TARGETS_CAP), lastUseHour: new Uint32Array(KNOWN_TARGETS_CAP), count: 0 };
}

/** 32-bit FNV-1a over the UTF-16 code units of the lowercased name. */
export function targetHash(target: string): number {
  const s = target.toLowerCase();
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function slotOf(set: KnownTargets, hash: number): number {
  for (let i = 0; i < set.count; i++) if (set.hashes[i] === hash) return i;
  return -1;
}

/** Whether the agent used this destination within `ttlMs` before `now`. */
export function isKnownTarget(set: KnownTargets, hash: number, now: number, ttlMs: number): boolean {
  const i = slotOf(set, hash);
  return i >= 0 && now - set.lastUseHour[i]! * HOUR_MS <= ttlMs;
}

/** Record a use of the destination at `now` (evicting the least recently used one when full). */
export function rememberTarget(set: KnownTargets, hash: number, now: number): void {
  const hour = Math.floor(now / HOUR_MS);
  let i = slotOf(set, hash);
  if (i < 0) {
    if (set.count < KNOWN_TARGETS_CAP) i = set.count++;
    else {
      i = 0;
      for (let j = 1; j < set.count; j++) if (set.lastUseHour[j]! < set.lastUseHour[i]!) i = j;
    }
    set.hashes[i] = hash;
  }
  set.lastUseHour[i] = hour;
}

export function knownTargetsToJson(set: KnownTargets): KnownTargetsJson {
  return { hashes: Array.from(set.hashes.subarray(0, set.count)), lastUseHour: Array.from(set.lastUseHour.subarray(0, set.count)) };
}

export function knownTargetsFromJson(o: KnownTargetsJson): KnownTargets {
  const set = createKnownTargets();
  const n = Math.min(KNOWN_TARGETS_CAP, o.hashes.length, o.lastUseHour.length);
  set.hashes.set(o.hashes.slice(0, n));
  set.lastUseHour.set(o.lastUseHour.slice(0, n));
  set.count = n;
  return set;
}
