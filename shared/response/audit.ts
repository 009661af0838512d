/**
 * The audit trail as a hash chain: each entry carries the hash of the one
 * before, so changing, removing or reordering an entry breaks every hash after
 * it. `verifyChain` points at the first broken entry.
 */
import { createHash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export interface AuditRecord {
  at: number;
  /** decision, command, kept-stronger, refused (the gate said no: details carry its code and reason), approval-requested, approved, denied, approval-expired, release, circuit-breaker, api */
  kind: string;
  actor: string;
  agentId: string | null;
  details: Record<string, unknown>;
}

export interface AuditEntry extends AuditRecord { seq: number; prevHash: string; hash: string }

/** Canonical JSON: keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function entryHash(prevHash: string, seq: number, record: AuditRecord): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson({ seq, ...record })).digest('hex');
}

export function appendEntry(prev: { seq: number; hash: string } | null, record: AuditRecord): AuditEntry {
  const seq = prev ? prev.seq + 1 : 0;
  const prevHash = prev ? prev.hash : GENESIS;
  return { ...record, seq, prevHash, hash: entryHash(prevHash, seq, record) };
}

export interface ChainVerdict { ok: boolean; entries: number; firstBrokenIndex: number | null; reason: string | null }

export function verifyChain(entries: AuditEntry[]): ChainVerdict {
  let prevHash = GENESIS;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const fail = (reason: string): ChainVerdict => ({ ok: false, entries: entries.length, firstBrokenIndex: i, reason });
    if (e.seq !== i) return fail(`entry ${i} has seq ${e.seq}: an entry was removed or reordered`);
    if (e.prevHash !== prevHash) return fail(`entry ${i} does not point at the hash of entry ${i - 1}`);
    const { seq, prevHash: _p, hash, ...record } = e;
    if (entryHash(prevHash, seq, record) !== hash) return fail(`entry ${i} was changed after it was written (hash mismatch)`);
    prevHash = hash;
  }
  return { ok: true, entries: entries.length, firstBrokenIndex: null, reason: null };
}
