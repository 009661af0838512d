/**
 * Stops automatic isolation when too many distinct agents are flagged within
 * a window: a detector bug must not take the fleet down. Pure: time comes in.
 * While open, isolations wait for a human; the breaker closes again once the
 * window has drained. Only automatic and timed-out isolations are recorded
 * (the gate decides which, gate.ts).
 */
import { createHash } from 'node:crypto';
import type { Alert } from '../schemas/generated.js';
import { FLEET } from './commands.js';

export const CIRCUIT_BREAKER_DETECTOR = 'circuit-breaker';

export interface BreakerVerdict {
  allowed: boolean;
  /** True exactly once per trip: the caller raises its own alert then. */
  justTripped: boolean;
  agentsInWindow: number;
}

export class CircuitBreaker {
  readonly #seen = new Map<string, number>(); // agentId -> last flagged at
  #open = false;

  constructor(
    readonly maxAgents: number,
    readonly windowMs: number,
  ) {}

  get open(): boolean {
    return this.#open;
  }

  /** Records that `agentId` is about to be isolated without a human at `nowMs`; says whether that may go ahead. */
  check(agentId: string, nowMs: number): BreakerVerdict {
    this.#expire(nowMs);
    this.#seen.set(agentId, nowMs);
    const n = this.#seen.size;
    if (!this.#open && n > this.maxAgents) {
      this.#open = true;
      return { allowed: false, justTripped: true, agentsInWindow: n };
    }
    return { allowed: !this.#open, justTripped: false, agentsInWindow: n };
  }

  #expire(nowMs: number): void {
    for (const [agent, at] of this.#seen) if (nowMs - at >= this.windowMs) this.#seen.delete(agent);
    if (this.#open && this.#seen.size === 0) this.#open = false;
  }

  /** Closes when the window has drained (call on a timer). */
  tick(nowMs: number): void {
    this.#expire(nowMs);
  }
}

/**
 * The breaker's own alert. Keyed by the window, so a redelivery is the same alert; on the fleet key, but
 * never acted on (the responder skips its own detector, and the gate refuses `*` on every alert path).
 */
export function breakerAlert(agentsInWindow: number, limits: { maxAgents: number; windowMs: number }, nowMs: number): Alert {
  const { maxAgents, windowMs } = limits;
  const windowStart = Math.floor(nowMs / windowMs) * windowMs;
  return {
    alertId: createHash('sha256').update(`circuit-breaker\n${windowStart}`).digest('hex').slice(0, 32),
    agentId: FLEET, agentRole: 'fleet', tenantId: 'all', detector: CIRCUIT_BREAKER_DETECTOR, ruleId: 'response.circuit-breaker',
    title: 'Automatic isolation stopped: too many agents flagged at once',
    description: `${agentsInWindow} agents were to be isolated within ${windowMs / 1000} s (limit ${maxAgents}). Automatic isolation is paused; further isolations wait for a human. Check the detectors before approving.`,
    severity: 'CRITICAL', score: 100, firstSeen: nowMs, lastSeen: nowMs, count: 1,
    evidence: { metric: 'agents flagged per window', observed: agentsInWindow, baselineMean: null, baselineStd: null, baselineMedian: null, baselineMad: null, sampleSize: 0, baselineSource: 'rule', windowStart: nowMs - windowMs, windowEnd: nowMs, relatedEventIds: [], details: { maxAgents: String(maxAgents) } },
    tags: ['warden:safeguard'],
  };
}
