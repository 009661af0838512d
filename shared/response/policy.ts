/**
 * The response policy: which alerts lead to which action, as data
 * (rules/response.yaml). First matching rule wins. Pure: no I/O, no clock.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../schemas/generated.js';
import { SeverityValues } from '../schemas/generated.js';

const severity = z.enum(SeverityValues);
const patterns = z.array(z.string().min(1)).default([]);

const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case id such as exfiltration-quarantine'),
    description: z.string().min(1),
    match: z
      .object({
        minSeverity: severity.default('INFO'),
        /** Detector names, e.g. volume-spike. */
        detectors: patterns,
        /** Rule ids of the detection rules, `*` wildcards allowed: volume-spike.*. */
        rules: patterns,
        roles: patterns,
        /** Any of these tags. */
        tags: patterns,
      })
      .strict()
      .default({}),
    action: z.enum(['notify', 'throttle', 'quarantine']),
    /** For throttle: capability patterns refused, e.g. payment.* or net.egress. */
    revoke: patterns,
    mode: z.enum(['auto', 'approval']).default('auto'),
    ttlMs: z.number().int().positive().nullable().default(3_600_000),
    approval: z
      .object({ timeoutMs: z.number().int().positive().default(900_000), onTimeout: z.enum(['escalate', 'dismiss']).default('dismiss') })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.action === 'throttle' && r.revoke.length === 0) ctx.addIssue({ code: 'custom', path: ['revoke'], message: 'a throttle rule must revoke at least one capability pattern' });
  });

export const policySchema = z
  .object({
    version: z.literal(1),
    /** Agents (glob patterns) never isolated without a human: on the automatic path they wait for one, and a timeout only dismisses (gate.ts). */
    protectedAgents: patterns,
    circuitBreaker: z
      .object({ maxAgents: z.number().int().positive().default(10), windowMs: z.number().int().positive().default(60_000) })
      .strict()
      .default({}),
    rules: z.array(ruleSchema).min(1),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;
export type PolicyRule = Policy['rules'][number];
export type ResponseAction = PolicyRule['action'];

export interface Decision {
  ruleId: string;
  action: ResponseAction;
  mode: 'auto' | 'approval';
  revoke: string[];
  ttlMs: number | null;
  approvalTimeoutMs: number;
  onTimeout: 'escalate' | 'dismiss';
  reason: string;
}

/** A decision that isolates (throttle or quarantine): the only kind the gate judges or an approval holds. */
export type IsolatingDecision = Decision & { action: Exclude<ResponseAction, 'notify'> };
export const isIsolating = (d: Decision): d is IsolatingDecision => d.action !== 'notify';

/** The tag of an alert whose agent's own signing key must be presumed stolen (a validly signed replay or clone). */
export const KEY_COMPROMISE_TAG = 'warden:key-compromise';

const RANK: Record<Severity, number> = { INFO: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

/** `payment.*` style globs: `*` matches any run of characters. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

const anyMatch = (ps: string[], v: string) => ps.length === 0 || ps.some((p) => globMatch(p, v));

export function ruleMatches(rule: PolicyRule, alert: Alert): boolean {
  const m = rule.match;
  return (
    RANK[alert.severity] >= RANK[m.minSeverity] &&
    anyMatch(m.detectors, alert.detector) &&
    anyMatch(m.rules, alert.ruleId) &&
    anyMatch(m.roles, alert.agentRole) &&
    (m.tags.length === 0 || alert.tags.some((t) => m.tags.some((p) => globMatch(p, t))))
  );
}

export function isProtected(policy: Policy, agentId: string): boolean {
  return policy.protectedAgents.some((p) => globMatch(p, agentId));
}

/**
 * What the policy asks for one alert. Never undefined: a policy without a match notifies. The safeguards
 * (protected agents, circuit breaker, the fleet key, unverified alerts) are not applied here but by the
 * gate (gate.ts), on every path, so that no path can skip them.
 */
export function decide(alert: Alert, policy: Policy): Decision {
  const rule = policy.rules.find((r) => ruleMatches(r, alert));
  if (!rule) {
    return { ruleId: 'no-match', action: 'notify', mode: 'auto', revoke: [], ttlMs: null, approvalTimeoutMs: 0, onTimeout: 'dismiss', reason: `no policy rule matches ${alert.ruleId}` };
  }
  const isolating = rule.action !== 'notify';
  // A validly signed replay means someone else holds the agent's key: isolating it is not enough.
  const rotate = alert.tags.includes(KEY_COMPROMISE_TAG) ? `; the agent's signing key is compromised: rotate ${alert.agentId}'s key before releasing it` : '';
  return {
    ruleId: rule.id,
    action: rule.action,
    mode: rule.mode,
    revoke: rule.action === 'throttle' ? rule.revoke : [],
    ttlMs: isolating ? rule.ttlMs : null,
    approvalTimeoutMs: rule.approval.timeoutMs,
    onTimeout: rule.approval.onTimeout,
    reason: `${alert.title} (${alert.ruleId}, severity ${alert.severity}, score ${alert.score}) -> policy ${rule.id}${rotate}`,
  };
}
