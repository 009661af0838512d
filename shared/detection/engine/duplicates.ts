/**
 * Exact duplicates: the SDK re-sends a batch whose acknowledgement it never
 * got (a timeout), and otel-ingest re-sends what a retrying sender gave it,
 * so the same signed event can reach the detector twice, also several events
 * back. Each agent keeps a ring of its last DUPLICATE_WINDOW trusted events
 * as (seq, 32-bit digest of eventId and payload fields): an event whose seq is
 * in the ring with the same digest is the same event again and is dropped
 * (counted), not alerted. A seq in the ring with a different digest is another
 * event reusing the seq, which impersonation reports as a replay. A copy
 * older than the window (64 events, or dated more than DUPLICATE_MAX_AGE_MS
 * before the agent's latest event) is a replay too: a producer re-sends
 * within seconds of its first try, and in order (nothing newer of the agent's
 * is written before the re-send), so an exact copy of an event from an hour
 * ago is someone replaying captured traffic, and the SOC should hear of it.
 *
 * Typed arrays, not strings: ~800 bytes per agent. The digest is not a
 * security check (an attacker holding the key can send anything): it only
 * tells a re-send from a different event with the same seq.
 */
import type { DetectionEvent } from '../types.js';

export const DUPLICATE_WINDOW = 64;
/** A copy dated this long before the agent's latest trusted event is a replay, not a producer's re-send. */
export const DUPLICATE_MAX_AGE_MS = 15 * 60_000;

export interface RecentEvents {
  readonly seqs: Float64Array;
  readonly digests: Uint32Array;
  /** Next slot to write. */
  head: number;
  size: number;
  /** At least every seq in the ring (a cheap test before the scan). */
  maxSeq: number;
}

/** In snapshots: seqs as `lastSeq - seq` (small integers), oldest first. */
export interface RecentEventsSnapshot {
  seqsBack: number[];
  digests: number[];
}

export function createRecentEvents(): RecentEvents {
  return { seqs: new Float64Array(DUPLICATE_WINDOW), digests: new Uint32Array(DUPLICATE_WINDOW), head: 0, size: 0, maxSeq: -Infinity };
}

function mixString(h: number, s: string | null): number {
  if (s === null) return Math.imul(h ^ 0xff, 0x01000193);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ 0x1f, 0x01000193);
}

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

function mixNumber(h: number, v: number | null): number {
  if (v === null) return Math.imul(h ^ 0xfe, 0x01000193);
  // The double's exact bits, as two 32-bit words.
  scratch[0] = v;
  h = Math.imul(h ^ scratchWords[0]!, 0x01000193);
  return Math.imul(h ^ scratchWords[1]!, 0x01000193);
}

/** FNV-1a over the eventId and the fields a detector reads (not the text: the eventId already names the event). */
export function eventDigest(e: DetectionEvent): number {
  let h = 0x811c9dc5;
  h = mixString(h, e.eventId);
  h = mixNumber(h, e.timestamp);
  h = mixString(h, e.action);
  h = mixString(h, e.resource);
  h = mixString(h, e.target);
  h = mixString(h, e.outcome);
  h = mixNumber(h, e.bytesIn);
  h = mixNumber(h, e.bytesOut);
  h = mixNumber(h, e.records);
  h = mixNumber(h, e.tokens);
  h = mixNumber(h, e.amount);
  return h >>> 0;
}

/** True when (seq, digest) is one of the agent's recent trusted events. */
export function isRecentDuplicate(r: RecentEvents, seq: number, digest: number): boolean {
  if (seq > r.maxSeq) return false;
  for (let i = 0; i < r.size; i++) {
    if (r.seqs[i] === seq && r.digests[i] === digest) return true;
  }
  return false;
}

export function rememberEvent(r: RecentEvents, seq: number, digest: number): void {
  r.seqs[r.head] = seq;
  r.digests[r.head] = digest;
  r.head = (r.head + 1) % DUPLICATE_WINDOW;
  if (r.size < DUPLICATE_WINDOW) r.size++;
  if (seq > r.maxSeq) r.maxSeq = seq;
}

export function snapshotRecent(r: RecentEvents, lastSeq: number): RecentEventsSnapshot {
  const seqsBack: number[] = [];
  const digests: number[] = [];
  const start = r.size < DUPLICATE_WINDOW ? 0 : r.head;
  for (let i = 0; i < r.size; i++) {
    const j = (start + i) % DUPLICATE_WINDOW;
    seqsBack.push(lastSeq - r.seqs[j]!);
    digests.push(r.digests[j]!);
  }
  return { seqsBack, digests };
}

/** A missing snapshot (saved before the window existed) restores as an empty window. */
export function restoreRecent(snap: RecentEventsSnapshot | undefined, lastSeq: number): RecentEvents {
  const r = createRecentEvents();
  if (!snap) return r;
  const { seqsBack, digests } = snap;
  if (!Array.isArray(seqsBack) || !Array.isArray(digests) || seqsBack.length !== digests.length || seqsBack.length > DUPLICATE_WINDOW) {
    throw new TypeError('recent events: malformed duplicate window');
  }
  for (let i = 0; i < seqsBack.length; i++) {
    const back = seqsBack[i]!;
    const digest = digests[i]!;
    if (!Number.isFinite(back) || !Number.isInteger(digest) || digest < 0 || digest > 0xffffffff) throw new TypeError('recent events: malformed duplicate window');
    rememberEvent(r, lastSeq - back, digest);
  }
  return r;
}
