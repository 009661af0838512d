/** Pending approvals in Redis: one hash field per approval id, so every responder instance sees the same queue. */
import type { Redis } from '../../shared/redis/index.js';
import type { Decision } from '../../shared/response/index.js';
import type { Alert } from '../../shared/schemas/generated.js';

const KEY = 'responder:approvals';

export interface PendingApproval {
  id: string;
  agentId: string;
  alert: Pick<Alert, 'alertId' | 'title' | 'severity' | 'score' | 'detector' | 'ruleId' | 'agentRole'>;
  decision: Decision;
  requestedAt: number;
  expiresAt: number;
}

export class Approvals {
  constructor(private readonly redis: Redis) {}

  /** Adds unless already pending (a redelivered alert must not ask twice). */
  async add(a: PendingApproval): Promise<boolean> {
    return (await this.redis.hsetnx(KEY, a.id, JSON.stringify(a))) === 1;
  }

  async list(): Promise<PendingApproval[]> {
    return Object.values(await this.redis.hgetall(KEY)).map((s) => JSON.parse(s) as PendingApproval).sort((a, b) => a.requestedAt - b.requestedAt);
  }

  /** Removes and returns it; null when it was already decided (by someone else, or by its timeout). */
  async take(id: string): Promise<PendingApproval | null> {
    const res = await this.redis.multi().hget(KEY, id).hdel(KEY, id).exec();
    const [, value] = res?.[0] ?? [];
    const [, removed] = res?.[1] ?? [];
    return removed === 1 && typeof value === 'string' ? (JSON.parse(value) as PendingApproval) : null;
  }
}
