/** Pending approvals in Redis: one hash field per approval id, so every responder instance sees the same queue. */
import type { Redis } from '../../shared/redis/index.js';
import type { HoldCode, IsolatingDecision } from '../../shared/response/index.js';
import type { Alert } from '../../shared/schemas/generated.js';

const KEY = 'responder:approvals';

export interface PendingApproval {
  id: string;
  agentId: string;
  /** Tags included: the gate reads them again when the approval is answered or times out. */
  alert: Pick<Alert, 'alertId' | 'title' | 'severity' | 'score' | 'detector' | 'ruleId' | 'agentRole' | 'tags'>;
  decision: IsolatingDecision;
  /** Why it waits for a human (the gate's hold); a held protected or breaker isolation times out to dismiss. */
  hold: { code: HoldCode; reason: string };
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
    return Object.values(await this.redis.hgetall(KEY)).map(parse).sort((a, b) => a.requestedAt - b.requestedAt);
  }

  /** Removes and returns it; null when it was already decided (by someone else, or by its timeout). */
  async take(id: string): Promise<PendingApproval | null> {
    const res = await this.redis.multi().hget(KEY, id).hdel(KEY, id).exec();
    const [, value] = res?.[0] ?? [];
    const [, removed] = res?.[1] ?? [];
    return removed === 1 && typeof value === 'string' ? parse(value) : null;
  }
}

/** Approvals queued before tags and holds were stored read as untagged, plain approvals. */
function parse(text: string): PendingApproval {
  const a = JSON.parse(text) as PendingApproval;
  return { ...a, alert: { ...a.alert, tags: a.alert.tags ?? [] }, hold: a.hold ?? { code: 'approval-required', reason: 'queued before holds were recorded' } };
}
