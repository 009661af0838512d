/**
 * Stops automatic isolation when too many distinct agents are flagged within
 * a window: a detector bug must not take the fleet down. Pure: time comes in.
 * While open, isolations wait for a human; the breaker closes again once the
 * window has drained.
 */
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

  /** Records that `agentId` is about to be isolated automatically at `nowMs`; says whether that may go ahead. */
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
