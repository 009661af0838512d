/**
 * Bearer tokens, looked up in constant time: each is kept only as its SHA-256
 * digest, and a lookup compares the digest of what was presented with every
 * entry (timingSafeEqual over equal lengths, no early exit), so neither the
 * time taken nor an error says which entry, if any, was near. The one lookup
 * for the responder API, otel-ingest's senders and the MCP gateway's agents.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class TokenTable<T> {
  readonly #entries: { digest: Buffer; value: T }[];
  /** Indexes of entries whose token repeats an earlier entry's (the caller decides whether that is an error). */
  readonly duplicates: number[] = [];

  constructor(entries: readonly { token: string; value: T }[]) {
    const seen = new Set<string>();
    this.#entries = entries.map((e, i) => {
      const digest = sha256(e.token);
      const hex = digest.toString('hex');
      if (seen.has(hex)) this.duplicates.push(i);
      seen.add(hex);
      return { digest, value: e.value };
    });
  }

  get size(): number {
    return this.#entries.length;
  }

  values(): T[] {
    return this.#entries.map((e) => e.value);
  }

  /** The first entry whose token this is, or null (also for a missing token). Every entry is compared. */
  find(token: string | undefined): T | null {
    const given = sha256(token ?? '');
    let found: T | null = null;
    let matched = false;
    for (const e of this.#entries) {
      if (timingSafeEqual(given, e.digest) && !matched) {
        matched = true;
        found = e.value;
      }
    }
    return token === undefined || token === '' ? null : found;
  }
}

/** The token of an `Authorization: Bearer <token>` header (scheme in any case), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}
