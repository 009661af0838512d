/**
 * The kill switch's state, pure: commands in, the agent's effective state out.
 * The latest command for the agent (and for the fleet, key `*`) decides;
 * a command past its expiresAt no longer counts. Until the feed has been read
 * to its end once, and (with fail-closed) while it cannot be read, the agent
 * is treated as quarantined: refusing is the safe side.
 *
 * A command older (issuedAt) than the one held for its key is stale and not
 * applied. The held command stays the watermark after it expires and after a
 * RELEASE (RELEASE is held like any command), so a replayed old QUARANTINE
 * cannot come back once it lapsed, nor a replayed old RELEASE undo a newer
 * QUARANTINE. Equal times apply (a redelivery, or two commands in one ms).
 * Signature and key checks happen before (shared/signing/commandVerifier.ts).
 */
import type { QuarantineCommand } from '../schemas/generated.js';
import { FLEET_RECORD_KEY } from '../signing/index.js';
import { isRevoked } from './capabilities.js';

/** The fleet-wide record key: one definition, the verifier's. */
export const FLEET_KEY = FLEET_RECORD_KEY;

export type Mode = 'ACTIVE' | 'THROTTLED' | 'QUARANTINED' | 'STARTING' | 'FEED_LOST';

export interface AgentState {
  mode: Mode;
  revokedCapabilities: string[];
  reason: string;
  commandId: string | null;
  expiresAt: number | null;
}

export interface Decision { allowed: boolean; state: AgentState; matched?: string }

export class KillSwitchState {
  #own: QuarantineCommand | null = null;
  #fleet: QuarantineCommand | null = null;
  caughtUp = false;
  feedLost = false;

  /** Applies a verified command to its slot (the fleet's or the agent's own), unless it is stale. */
  apply(cmd: QuarantineCommand): 'applied' | 'stale' {
    const held = cmd.agentId === FLEET_KEY ? this.#fleet : this.#own;
    if (held && cmd.issuedAt < held.issuedAt) return 'stale';
    if (cmd.agentId === FLEET_KEY) this.#fleet = cmd;
    else this.#own = cmd;
    return 'applied';
  }

  effective(nowMs: number): AgentState {
    if (!this.caughtUp) return { mode: 'STARTING', revokedCapabilities: ['*'], reason: 'reading the quarantine feed', commandId: null, expiresAt: null };
    if (this.feedLost) return { mode: 'FEED_LOST', revokedCapabilities: ['*'], reason: 'quarantine feed unreadable (fail-closed)', commandId: null, expiresAt: null };
    const live = (c: QuarantineCommand | null) => (c && c.type !== 'RELEASE' && (c.expiresAt === null || c.expiresAt > nowMs) ? c : null);
    const fleet = live(this.#fleet);
    const own = live(this.#own);
    const quarantine = [fleet, own].find((c) => c?.type === 'QUARANTINE');
    if (quarantine) return toState('QUARANTINED', ['*'], quarantine);
    const throttles = [fleet, own].filter((c): c is QuarantineCommand => c?.type === 'THROTTLE');
    if (throttles.length > 0) {
      const first = throttles[0]!;
      const expiries = throttles.map((t) => t.expiresAt).filter((e): e is number => e !== null);
      return {
        ...toState('THROTTLED', [...new Set(throttles.flatMap((t) => t.revokedCapabilities))], first),
        expiresAt: expiries.length === throttles.length ? Math.min(...expiries) : null,
      };
    }
    return { mode: 'ACTIVE', revokedCapabilities: [], reason: '', commandId: this.#own?.commandId ?? null, expiresAt: null };
  }

  check(capability: string, nowMs: number): Decision {
    const state = this.effective(nowMs);
    if (state.mode === 'ACTIVE') return { allowed: true, state };
    const matched = isRevoked(state.revokedCapabilities, capability);
    return matched === undefined ? { allowed: true, state } : { allowed: false, state, matched };
  }

  /** The next instant at which the effective state changes by itself (an expiry), if any. */
  nextExpiry(nowMs: number): number | null {
    const times = [this.#own, this.#fleet].map((c) => c?.expiresAt ?? null).filter((t): t is number => t !== null && t > nowMs);
    return times.length ? Math.min(...times) : null;
  }
}

function toState(mode: Mode, revoked: string[], cmd: QuarantineCommand): AgentState {
  return { mode, revokedCapabilities: revoked, reason: cmd.reason, commandId: cmd.commandId, expiresAt: cmd.expiresAt };
}

export function sameState(a: AgentState, b: AgentState): boolean {
  return a.mode === b.mode && a.commandId === b.commandId && a.revokedCapabilities.join('\n') === b.revokedCapabilities.join('\n');
}
