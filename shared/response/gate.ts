/**
 * The one gate every isolation passes, whatever asked for it. Pure: the
 * breaker's state and the time come in; nothing is written anywhere. The
 * caller acts on the verdict and audits it.
 *
 *   path              who asks                                   protected   breaker            `*`        unverified alert
 *   automatic         a policy rule with mode auto               hold        counts; holds      refuse     refuse
 *   proposed          a policy rule with mode approval           hold*       -                  refuse     refuse
 *   approved          a human approved a pending isolation       allow       not counted        refuse     refuse
 *   approval-timeout  nobody answered and the rule escalates     refuse      counts; holds      refuse     refuse
 *   operator          API/CLI quarantine or release of one agent allow       not counted        refuse     (no alert)
 *   fleet             the operator's fleet-wide kill switch      -           not counted        needs the confirmation phrase
 *
 *   hold*: the approval is queued, but its timeout can only dismiss it.
 *
 * Human decisions (approved, operator, fleet) are neither held nor counted by
 * the circuit breaker: it guards against a detector bug isolating the fleet
 * through automation, and a responder isolating agents by hand during an
 * incident must not pause automatic response to the next compromised agent.
 * Releases are never held: only the `*` rule applies to them (the fleet key
 * is released through the fleet path).
 */
import { FLEET, FLEET_CONFIRMATION } from './commands.js';
import type { BreakerVerdict, CircuitBreaker } from './circuitBreaker.js';
import { isProtected, type Policy } from './policy.js';

// The tag the detector puts on the alert it raises for unverified (unsigned, forged, unknown-key) events, and
// that alert's rule: by definition about events nobody can attribute to the agent. One definition, the detector's.
import { UNVERIFIED_RULE_ID, UNVERIFIED_TAG } from '../detection/unverified.js';
export { UNVERIFIED_RULE_ID, UNVERIFIED_TAG };

export const IsolationPaths = ['automatic', 'proposed', 'approved', 'approval-timeout', 'operator', 'fleet'] as const;
export type IsolationPath = (typeof IsolationPaths)[number];

export interface IsolationRequest {
  path: IsolationPath;
  agentId: string;
  action: 'throttle' | 'quarantine' | 'release';
  /** The alert behind the request (automatic, proposed, approved, approval-timeout); null for operator and fleet. */
  alert: { alertId: string; ruleId: string; tags: string[] } | null;
  /** For the fleet path: the phrase the operator typed. */
  confirmation?: string | null;
  /** For a proposal: what its timeout does when nothing holds it. */
  onTimeout?: 'escalate' | 'dismiss';
}

export type HoldCode = 'approval-required' | 'protected-agent' | 'circuit-breaker';
export type RefuseCode = 'fleet-key' | 'fleet-unconfirmed' | 'fleet-path-not-fleet-key' | 'unverified-alert' | 'protected-agent';

export type GateVerdict =
  | { outcome: 'allow'; code: 'allowed'; reason: string; breaker: BreakerVerdict | null }
  /** Wait for a human; `onTimeout` is what the queued approval does if nobody answers. */
  | { outcome: 'hold'; code: HoldCode; reason: string; onTimeout: 'escalate' | 'dismiss'; breaker: BreakerVerdict | null }
  | { outcome: 'refuse'; code: RefuseCode; reason: string; breaker: null };

export interface GateContext {
  policy: Policy;
  breaker: CircuitBreaker;
  nowMs: number;
}

const refuse = (code: RefuseCode, reason: string): GateVerdict => ({ outcome: 'refuse', code, reason, breaker: null });
const hold = (code: HoldCode, reason: string, onTimeout: 'escalate' | 'dismiss' = 'dismiss', breaker: BreakerVerdict | null = null): GateVerdict => ({ outcome: 'hold', code, reason, onTimeout, breaker });
const allow = (reason: string, breaker: BreakerVerdict | null = null): GateVerdict => ({ outcome: 'allow', code: 'allowed', reason, breaker });

export function isUnverifiedAlert(alert: { ruleId: string; tags: string[] }): boolean {
  return alert.tags.includes(UNVERIFIED_TAG) || alert.ruleId === UNVERIFIED_RULE_ID;
}

/**
 * Applies every safeguard to one request, in this order: the `*` rule, unverified alerts, protected agents,
 * the circuit breaker. Only an automatic or timed-out isolation that passes the first three is recorded by
 * the breaker, so refusals and protected agents never trip it.
 */
export function gate(req: IsolationRequest, ctx: GateContext): GateVerdict {
  const { path, agentId } = req;
  if (path === 'fleet') {
    if (agentId !== FLEET) return refuse('fleet-path-not-fleet-key', `the fleet path only acts on the fleet key "${FLEET}", not on ${agentId}`);
    if (req.action === 'release') return allow('fleet-wide kill switch lifted by an operator');
    if (req.confirmation !== FLEET_CONFIRMATION) return refuse('fleet-unconfirmed', `the fleet-wide kill switch needs the confirmation "${FLEET_CONFIRMATION}"`);
    return allow('fleet-wide kill switch confirmed by an operator');
  }
  if (agentId === FLEET) return refuse('fleet-key', `"${FLEET}" is the fleet key: only the operator's confirmed fleet command may act on it, never the ${path} path`);
  if (req.action === 'release') return allow(`release by the ${path} path`);

  if (req.alert && isUnverifiedAlert(req.alert)) {
    return refuse('unverified-alert', `alert ${req.alert.alertId} (${req.alert.ruleId}) comes from unverified events: they say nothing about ${agentId}'s own behaviour, so they never isolate it (notify only)`);
  }

  const protectedAgent = isProtected(ctx.policy, agentId);
  switch (path) {
    case 'proposed':
      return protectedAgent
        ? hold('protected-agent', `${agentId} is a protected agent: only a human may isolate it; a timeout dismisses`)
        : hold('approval-required', 'the policy rule asks a human', req.onTimeout ?? 'dismiss');
    case 'approved':
    case 'operator':
      return allow(`a human decided (${path})`);
    case 'automatic':
      if (protectedAgent) return hold('protected-agent', `${agentId} is a protected agent: never isolated without a human; a timeout dismisses`);
      return throughBreaker(agentId, ctx, 'automatic isolation');
    case 'approval-timeout':
      if (protectedAgent) return refuse('protected-agent', `${agentId} is a protected agent: an unanswered approval is dismissed, never escalated`);
      return throughBreaker(agentId, ctx, 'escalation on timeout');
  }
}

function throughBreaker(agentId: string, ctx: GateContext, what: string): GateVerdict {
  const breaker = ctx.breaker.check(agentId, ctx.nowMs);
  if (breaker.allowed) return allow(`${what} within the circuit breaker (${breaker.agentsInWindow} of ${ctx.breaker.maxAgents} agents in the window)`, breaker);
  return hold('circuit-breaker', `circuit breaker open: ${breaker.agentsInWindow} agents flagged within ${ctx.breaker.windowMs} ms (limit ${ctx.breaker.maxAgents}); a human decides, a timeout dismisses`, 'dismiss', breaker);
}
