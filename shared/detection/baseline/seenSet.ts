/**
 * What an agent has used, of one kind (resources, targets or actions): a bounded set of names kept as two
 * 32-bit hashes each, with the hour of their last use, in one Uint32Array (open addressing, linear probing).
 *
 * Why hashes: the names were Map keys, and an agent that mails customers or browses the web meets hundreds to
 * thousands of them (the labelled scenario, seed 5: 682 per agent at the end of its 8 days, up to 2,197 targets).
 * Each entry cost a string, a boxed timestamp and a Map slot (~100 B of heap), and they were half of a warm
 * agent's snapshot bytes; here an entry is 12 bytes, and looking a name up reads one slot instead of a hash table
 * and a key elsewhere in memory. The price is collisions: a new name whose two hashes both equal those of a name
 * the agent uses reads as known. By chance that is about one in 10^16 per lookup at the cap. On purpose, an agent
 * that controls part of a name could search for one offline (FNV-1a can be steered by the last characters, leaving
 * ~2^32 tries for the second hash), unless the hashes are seeded with a secret it does not know (nameSeeds: the
 * detector's WARDEN_DETECTOR_NAME_HASH_SECRET).
 *
 * Hours, not milliseconds: the last use only decides expiry (unused for the TTL, days) and which entries go
 * first past the cap, so the hour is enough; a set refreshes an entry at most once per hour of event time.
 */
import { HOUR_MS } from '../time.js';

/** Per slot: hash A, hash B, last-use hour + 1 (0: an empty slot). */
const FIELDS = 3;
const HASH_A = 0;
const HASH_B = 1;
const USED = 2;
const MIN_SLOTS = 8;
/** Slots grow (doubling) when more than this share would be used. */
const MAX_LOAD = 0.75;

export interface SeenSet {
  /** FIELDS numbers per slot; the slot count is a power of two. */
  slots: Uint32Array;
  size: number;
}

/** The names of a set, as snapshots hold them: entries by last use (then hash), each hour as its step from the one before. */
export interface SeenSetParts {
  hashesA: number[];
  hashesB: number[];
  lastUseHourSteps: number[];
}

export function createSeenSet(entries = 0): SeenSet {
  let slots = MIN_SLOTS;
  while (entries > slots * MAX_LOAD) slots *= 2;
  return { slots: new Uint32Array(slots * FIELDS), size: 0 };
}

/**
 * Secret seeds of the name hashes (nameSeeds): with them unknown, an agent cannot compute offline a name that
 * collides with one it already uses. { a: 0, b: 0 } is the unkeyed default (replay, tests, evaluations).
 */
export interface NameSeeds {
  readonly a: number;
  readonly b: number;
}

export const UNKEYED: NameSeeds = Object.freeze({ a: 0, b: 0 });

/**
 * The seeds for a deployment's secret (WARDEN_DETECTOR_NAME_HASH_SECRET): two 32-bit hashes of it. Changing the
 * secret makes every name an agent has used read as new once (its seen-sets and known destinations start again).
 */
export function nameSeeds(secret: string | undefined): NameSeeds {
  if (secret === undefined) return UNKEYED;
  return Object.freeze({ a: nameHashB(`seen-set:a:${secret}`), b: nameHashB(`seen-set:b:${secret}`) });
}

/** 32-bit FNV-1a over the name's UTF-16 code units, its starting state mixed with `seed`. */
export function nameHashA(name: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A second, differently built 32-bit hash (multiply-rotate per code unit, murmur3's finaliser), seeded likewise. */
export function nameHashB(name: string, seed = 0): number {
  let h = 0x9747b28c ^ name.length ^ seed;
  for (let i = 0; i < name.length; i++) {
    h = Math.imul(h ^ name.charCodeAt(i), 0x5bd1e995);
    h = (h << 13) | (h >>> 19);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS);

/** The slot holding (a, b), or the empty slot where it would go. */
function slotFor(slots: Uint32Array, a: number, b: number): number {
  const mask = slots.length / FIELDS - 1;
  let i = a & mask;
  for (;;) {
    const at = i * FIELDS;
    if (slots[at + USED] === 0 || (slots[at + HASH_A] === a && slots[at + HASH_B] === b)) return at;
    i = (i + 1) & mask;
  }
}

/** The hour of the name's last use, or -1 when the set does not hold it. */
export function lastUseHour(set: SeenSet, a: number, b: number): number {
  const at = slotFor(set.slots, a, b);
  return set.slots[at + USED]! - 1;
}

/** Records a use in `hour`; true when the name was not in the set. */
export function markUsed(set: SeenSet, a: number, b: number, hour: number): boolean {
  let at = slotFor(set.slots, a, b);
  if (set.slots[at + USED] !== 0) {
    if (hour + 1 > set.slots[at + USED]!) set.slots[at + USED] = hour + 1;
    return false;
  }
  if (set.size + 1 > (set.slots.length / FIELDS) * MAX_LOAD) {
    rehash(set, set.size + 1);
    at = slotFor(set.slots, a, b);
  }
  set.slots[at + HASH_A] = a;
  set.slots[at + HASH_B] = b;
  set.slots[at + USED] = hour + 1;
  set.size++;
  return true;
}

/** The entries, oldest use first (then by hash): the order of expiry and of snapshots, whatever the slots' layout. */
function entries(set: SeenSet): [a: number, b: number, hour: number][] {
  const out: [number, number, number][] = [];
  const slots = set.slots;
  for (let at = 0; at < slots.length; at += FIELDS) if (slots[at + USED] !== 0) out.push([slots[at + HASH_A]!, slots[at + HASH_B]!, slots[at + USED]! - 1]);
  return out.sort((x, y) => x[2] - y[2] || x[0] - y[0] || x[1] - y[1]);
}

function rehash(set: SeenSet, room: number, kept: [number, number, number][] = entries(set)): void {
  const fresh = createSeenSet(room);
  for (const [a, b, hour] of kept) {
    const at = slotFor(fresh.slots, a, b);
    fresh.slots[at + HASH_A] = a;
    fresh.slots[at + HASH_B] = b;
    fresh.slots[at + USED] = hour + 1;
  }
  set.slots = fresh.slots;
  set.size = kept.length;
}

/** Forgets names last used before `cutoffHour`, then the oldest past `max`. */
export function sweepSeen(set: SeenSet, cutoffHour: number, max: number): void {
  const all = entries(set);
  let kept = all.filter((e) => e[2] >= cutoffHour);
  if (kept.length > max) kept = kept.slice(kept.length - max);
  if (kept.length !== all.length) rehash(set, kept.length, kept);
}

export function seenSetParts(set: SeenSet): SeenSetParts {
  const parts: SeenSetParts = { hashesA: [], hashesB: [], lastUseHourSteps: [] };
  let previous = 0;
  for (const [a, b, hour] of entries(set)) {
    parts.hashesA.push(a);
    parts.hashesB.push(b);
    parts.lastUseHourSteps.push(hour - previous);
    previous = hour;
  }
  return parts;
}

const isU32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** A set from its parts; malformed parts (tampered bytes) are an Error, never a half-built set. */
export function seenSetFromParts(parts: SeenSetParts): SeenSet {
  const { hashesA, hashesB, lastUseHourSteps } = parts ?? ({} as SeenSetParts);
  if (!Array.isArray(hashesA) || !Array.isArray(hashesB) || !Array.isArray(lastUseHourSteps) || hashesA.length !== hashesB.length || hashesA.length !== lastUseHourSteps.length) {
    throw new Error('seen-set snapshot: hashes and hours of different lengths');
  }
  const set = createSeenSet(hashesA.length);
  let hour = 0;
  for (let i = 0; i < hashesA.length; i++) {
    hour += lastUseHourSteps[i]!;
    if (!isU32(hashesA[i]) || !isU32(hashesB[i]) || !Number.isInteger(hour) || hour < 0 || hour >= 0xffffffff) throw new Error('seen-set snapshot: a hash or an hour out of range');
    markUsed(set, hashesA[i]!, hashesB[i]!, hour);
  }
  return set;
}

/** A set from names and their last use in event-time milliseconds (the snapshot of unusual-access version 1). */
export function seenSetFromNames(names: readonly (readonly [string, number])[], seeds: NameSeeds = UNKEYED): SeenSet {
  const set = createSeenSet(names.length);
  for (const [name, lastUseMs] of names) {
    if (typeof name !== 'string' || typeof lastUseMs !== 'number' || !Number.isFinite(lastUseMs)) throw new Error('seen-set snapshot (version 1): an entry is not [name, time]');
    markUsed(set, nameHashA(name, seeds.a), nameHashB(name, seeds.b), Math.max(0, hourOf(lastUseMs)));
  }
  return set;
}
