/**
 * The audit trail in Redis: a list of hash-chained entries. Appends from the
 * responder and from operators' `warden` commands may race, so each append
 * reads the head and writes under WATCH: a concurrent append makes it retry
 * instead of forking the chain.
 */
import type { Redis } from '../../shared/redis/index.js';
import { appendEntry, verifyChain, type AuditEntry, type AuditRecord, type ChainVerdict } from '../../shared/response/index.js';

const KEY = 'audit:log';

export class AuditLog {
  /** WATCH belongs to the connection: appends from this process go one at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly redis: Redis) {}

  append(record: AuditRecord): Promise<AuditEntry> {
    const next = this.#queue.then(() => this.#append(record));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #append(record: AuditRecord): Promise<AuditEntry> {
    for (let attempt = 0; attempt < 50; attempt++) {
      await this.redis.watch(KEY);
      const last = await this.redis.lindex(KEY, -1);
      const entry = appendEntry(last ? (JSON.parse(last) as AuditEntry) : null, record);
      const res = await this.redis.multi().rpush(KEY, JSON.stringify(entry)).exec();
      if (res !== null) return entry; // null: someone appended first; read the new head and try again
    }
    throw new Error('audit append kept conflicting; giving up after 50 attempts');
  }

  async entries(): Promise<AuditEntry[]> {
    return (await this.redis.lrange(KEY, 0, -1)).map((s) => JSON.parse(s) as AuditEntry);
  }

  /** The last `n` entries, oldest first. */
  async recent(n: number): Promise<AuditEntry[]> {
    return (await this.redis.lrange(KEY, -n, -1)).map((s) => JSON.parse(s) as AuditEntry);
  }

  /** Grows on every decision, approval and command: the console's cheap "something changed" signal. */
  async length(): Promise<number> {
    return this.redis.llen(KEY);
  }

  async verify(): Promise<ChainVerdict> {
    return verifyChain(await this.entries());
  }
}
