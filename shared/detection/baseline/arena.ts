/**
 * One float32 array shared by the windows and seasonal profiles of several
 * series (the series of one detector state: an agent's rate and per-action
 * series, its three volumes). Each typed array costs ~190 bytes of
 * bookkeeping (its JSTypedArray, its ArrayBuffer and the backing store's
 * record) besides its values; an agent's rate-spike state had seven, one per
 * series. In one arena the series pay for one.
 *
 * A series takes a slice (`data` from `base` on, the layout window.ts and
 * seasonal.ts already read) when its baselines are first built and keeps it
 * for the life of the state; nothing is freed one by one (a state's series
 * are dropped together, with the agent). The array grows to exactly what is
 * used (no slack: the point is memory), copying what it holds and re-pointing
 * every member at the new array, so a slice's values never change; growth
 * happens once per series, when its baselines are built.
 */

/** What holds a slice of the arena: a RollingWindow (`data` + `base`; a series' profile follows its window). */
export interface ArenaMember {
  data: Float32Array;
}

export interface BaselineArena {
  data: Float32Array<ArrayBuffer>;
  /** The members whose `data` is this arena's array (re-pointed when it grows). */
  members: ArenaMember[];
}

/** Shared by every arena that holds nothing yet (an empty typed array costs as much bookkeeping as a full one). */
const EMPTY: Float32Array<ArrayBuffer> = new Float32Array(0);

export function createArena(): BaselineArena {
  return { data: EMPTY, members: [] };
}

/**
 * Reserve `length` more entries (zeros) at the end of the arena; returns where they start. The caller builds its
 * members on `arena.data` from that base and registers them with `joinArena`.
 */
export function reserveArena(arena: BaselineArena, length: number): number {
  const base = arena.data.length;
  const grown = new Float32Array(base + length);
  grown.set(arena.data);
  arena.data = grown;
  for (const member of arena.members) member.data = grown;
  return base;
}

/** Make `member` (built on `arena.data`) follow the arena when it grows. */
export function joinArena(arena: BaselineArena, member: ArenaMember): void {
  arena.members.push(member);
}
