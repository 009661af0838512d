/**
 * The responder: security.alerts in, decisions out. Each alert is decided by
 * the policy (pure), and every isolation it proposes, like every isolation a
 * human asks for or a timeout escalates, passes the one gate of
 * shared/response/gate.ts (protected agents, circuit breaker, the fleet key,
 * unverified alerts). The verdict is acted on here: a command, an approval
 * queued for a human, or a refusal; all audited. A ticker releases expired
 * isolations and settles timed-out approvals.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer, type Consumer, type Producer } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { counter, Registry } from '../../shared/metrics/index.js';
import { createRedis, type Redis } from '../../shared/redis/index.js';
import { createRegistry, registerSchemas, type SchemaIds, type SchemaRegistry } from '../../shared/registry/index.js';
import {
  breakerAlert, buildCommand, CIRCUIT_BREAKER_DETECTOR, CircuitBreaker, decide, dueForRelease, expiryRelease, FLEET, gate, isIsolating,
  type Decision, type GateVerdict, type IsolatingDecision, type IsolationRequest, type Policy,
} from '../../shared/response/index.js';
import type { Alert, QuarantineCommand } from '../../shared/schemas/generated.js';
import { Approvals, type PendingApproval } from './approvals.js';
import { AuditLog } from './auditLog.js';
import { Isolations } from './isolations.js';

export { CIRCUIT_BREAKER_DETECTOR };

/** What became of one isolation request after the gate. */
export type IsolationOutcome =
  | { outcome: 'issued'; command: QuarantineCommand; verdict: GateVerdict }
  | { outcome: 'held'; approvalId: string; verdict: GateVerdict }
  | { outcome: 'refused'; verdict: GateVerdict };

type AlertSummary = PendingApproval['alert'];
const summarise = (a: Alert): AlertSummary => ({ alertId: a.alertId, title: a.title, severity: a.severity, score: a.score, detector: a.detector, ruleId: a.ruleId, agentRole: a.agentRole, tags: a.tags });

export interface ResponderOptions {
  config: WardenConfig;
  logger: Logger;
  policy: Policy;
  groupId?: string;
  metrics?: Registry;
  /** How often TTLs and approval timeouts are checked (default 500 ms). */
  tickMs?: number;
  now?: () => number;
}

export class ResponderService {
  readonly registry: Registry;
  readonly #o: ResponderOptions;
  readonly #now: () => number;
  readonly #breaker: CircuitBreaker;
  readonly #metrics;
  #redis!: Redis;
  #audit!: AuditLog;
  #isolations!: Isolations;
  #approvals!: Approvals;
  #schemaRegistry!: SchemaRegistry;
  #ids!: SchemaIds;
  #producer!: Producer;
  #consumer: Consumer | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ticking = false;
  #running = false;

  constructor(o: ResponderOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#breaker = new CircuitBreaker(o.policy.circuitBreaker.maxAgents, o.policy.circuitBreaker.windowMs);
    this.registry = o.metrics ?? new Registry();
    this.#metrics = {
      decisions: counter('warden_responder_decisions_total', 'Alerts decided, by action and mode', ['action', 'mode'], this.registry),
      commands: counter('warden_responder_commands_total', 'QuarantineCommands issued, by type and issuer kind', ['type', 'issuer'], this.registry),
      breakerTrips: counter('warden_responder_circuit_breaker_trips_total', 'Times automatic isolation was stopped by the circuit breaker', [], this.registry),
      gate: counter('warden_responder_gate_verdicts_total', 'Isolation requests judged by the gate, by path, outcome and code', ['path', 'outcome', 'code'], this.registry),
    };
  }

  get ready(): boolean {
    return this.#running;
  }

  get audit(): AuditLog {
    return this.#audit;
  }

  get approvals(): Approvals {
    return this.#approvals;
  }

  async start(): Promise<void> {
    const { config, logger } = this.#o;
    const kafka = createKafka(config, logger, `responder-${randomUUID().slice(0, 6)}`);
    this.#redis = createRedis(config);
    this.#audit = new AuditLog(this.#redis);
    this.#approvals = new Approvals(this.#redis);
    this.#isolations = new Isolations(kafka, config, this.#redis, this.#audit);
    await this.#isolations.connect();
    this.#schemaRegistry = createRegistry(config);
    this.#ids = await registerSchemas(this.#schemaRegistry, config);
    this.#producer = createProducer(kafka);
    await this.#producer.connect();

    const consumer = kafka.consumer({ groupId: this.#o.groupId ?? 'warden-responder', maxWaitTimeInMs: 100 });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.alerts.name, fromBeginning: true });
    // eachMessage commits after the handler resolves: an alert is acknowledged only once acted on.
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        let alert: Alert;
        try {
          alert = (await this.#schemaRegistry.decode(message.value)) as Alert;
        } catch (err) {
          logger.error({ offset: message.offset, err: (err as Error).message }, 'undecodable alert skipped');
          return;
        }
        await this.handleAlert(alert);
      },
    });
    this.#timer = setInterval(() => void this.tick(), this.#o.tickMs ?? 500);
    this.#running = true;
    logger.info({ topic: config.topics.alerts.name }, 'responder consuming');
  }

  /**
   * Decides one alert; idempotent per (alertId, severity): an updated count of the same incident is not a
   * new decision, but an escalation (the detector raised the incident's severity while it grew) is.
   */
  async handleAlert(alert: Alert): Promise<Decision | null> {
    if (alert.detector === CIRCUIT_BREAKER_DETECTOR) return null; // our own: never act on it, or a trip could isolate the fleet
    const seenKey = `responder:seen:${alert.alertId}:${alert.severity}`;
    if (await this.#redis.exists(seenKey)) return null;
    const now = this.#now();
    const decision = decide(alert, this.#o.policy);
    this.#metrics.decisions.inc({ action: decision.action, mode: decision.mode });
    await this.#audit.append({ at: now, kind: 'decision', actor: `policy:${decision.ruleId}`, agentId: alert.agentId, details: { alertId: alert.alertId, action: decision.action, mode: decision.mode, reason: decision.reason } });
    if (isIsolating(decision)) {
      const path = decision.mode === 'approval' ? 'proposed' : 'automatic';
      await this.#judge({ path, agentId: alert.agentId, action: decision.action, alert: summarise(alert), onTimeout: decision.onTimeout }, decision, summarise(alert), `policy:${decision.ruleId}`, now);
    }
    // Marked only after acting: a crash in between redelivers the alert, and the command id makes a second issue harmless.
    await this.#redis.set(seenKey, '1', 'EX', 7 * 24 * 3600);
    return decision;
  }

  /** The one decision path: the gate judges the request, and this acts on its verdict and audits it. */
  async #judge(req: IsolationRequest, decision: IsolatingDecision, alert: AlertSummary, actor: string, now: number): Promise<IsolationOutcome> {
    const verdict = gate(req, { policy: this.#o.policy, breaker: this.#breaker, nowMs: now });
    this.#metrics.gate.inc({ path: req.path, outcome: verdict.outcome, code: verdict.code });
    if (verdict.breaker?.justTripped) await this.#tripped(verdict.breaker.agentsInWindow, now);
    if (verdict.outcome === 'refuse') {
      await this.#audit.append({ at: now, kind: 'refused', actor, agentId: req.agentId, details: { path: req.path, code: verdict.code, reason: verdict.reason, action: req.action, alertId: alert.alertId } });
      this.#o.logger.warn({ agentId: req.agentId, path: req.path, code: verdict.code, alertId: alert.alertId }, 'isolation refused by the gate');
      return { outcome: 'refused', verdict };
    }
    if (verdict.outcome === 'hold') {
      const approvalId = await this.#requestApproval(alert, req.agentId, { ...decision, mode: 'approval', onTimeout: verdict.onTimeout }, { code: verdict.code, reason: verdict.reason }, now);
      return { outcome: 'held', approvalId, verdict };
    }
    return { outcome: 'issued', command: await this.#execute(req.agentId, decision, [alert.alertId], actor, now), verdict };
  }

  /**
   * Issues the decision's command without ever weakening the isolation in force: the topic is compacted,
   * so the latest command *is* the agent's state. A throttle never replaces a quarantine (that would give
   * a stopped agent its hands back), and a throttle on a throttled agent keeps both sets of revoked
   * capabilities and the later expiry.
   */
  async #execute(agentId: string, decision: Decision, alertIds: string[], issuedBy: string, now: number): Promise<QuarantineCommand> {
    const live = await this.#isolations.activeFor(agentId, now);
    if (decision.action === 'throttle' && live?.type === 'QUARANTINE') {
      await this.#audit.append({ at: now, kind: 'kept-stronger', actor: issuedBy, agentId, details: { kept: live.commandId, wouldHaveIssued: 'THROTTLE', alertIds } });
      return live;
    }
    let revoke = decision.revoke;
    let ttlMs = decision.ttlMs;
    if (decision.action === 'throttle' && live?.type === 'THROTTLE') {
      revoke = [...new Set([...live.revokedCapabilities, ...decision.revoke])];
      if (ttlMs) ttlMs = live.expiresAt === null ? null : Math.max(ttlMs, live.expiresAt - now);
    }
    const cmd = buildCommand({
      agentId,
      type: decision.action === 'throttle' ? 'THROTTLE' : 'QUARANTINE',
      revokedCapabilities: revoke,
      reason: decision.reason,
      issuedBy,
      issuedAt: now,
      alertIds,
      ttlMs,
    });
    await this.#isolations.issue(cmd, issuedBy);
    this.#metrics.commands.inc({ type: cmd.type, issuer: issuedBy.split(':')[0]! });
    return cmd;
  }

  async #requestApproval(alert: AlertSummary, agentId: string, decision: IsolatingDecision, hold: PendingApproval['hold'], now: number): Promise<string> {
    const pending: PendingApproval = {
      id: createHash('sha256').update(`approval\n${alert.alertId}`).digest('hex').slice(0, 16),
      agentId,
      alert,
      decision,
      hold,
      requestedAt: now,
      expiresAt: now + decision.approvalTimeoutMs,
    };
    if (await this.#approvals.add(pending)) {
      const heldBecause = hold.code === 'approval-required' ? null : hold.code;
      await this.#audit.append({ at: now, kind: 'approval-requested', actor: `policy:${decision.ruleId}`, agentId, details: { approvalId: pending.id, alertId: alert.alertId, action: decision.action, expiresAt: pending.expiresAt, onTimeout: decision.onTimeout, heldBecause, holdReason: hold.reason } });
    }
    return pending.id;
  }

  async #tripped(agents: number, now: number): Promise<void> {
    this.#metrics.breakerTrips.inc();
    const { windowMs, maxAgents } = this.#o.policy.circuitBreaker;
    const alert = breakerAlert(agents, { maxAgents, windowMs }, now);
    await this.#producer.send({ topic: this.#o.config.topics.alerts.name, acks: -1, messages: [{ key: FLEET, value: await this.#schemaRegistry.encode(this.#ids.alerts, alert) }] });
    await this.#audit.append({ at: now, kind: 'circuit-breaker', actor: 'responder', agentId: null, details: { agents, maxAgents, windowMs, alertId: alert.alertId } });
    this.#o.logger.error({ agents, maxAgents }, 'circuit breaker tripped: automatic isolation paused');
  }

  /** TTL expiry and approval timeouts. Safe to call at any time; runs one at a time. */
  async tick(): Promise<void> {
    if (this.#ticking || !this.#running) return;
    this.#ticking = true;
    try {
      const now = this.#now();
      this.#breaker.tick(now);
      for (const cmd of dueForRelease(await this.#isolations.active(), now)) {
        await this.#isolations.issue(expiryRelease(cmd, now), 'ttl-expiry');
        this.#metrics.commands.inc({ type: 'RELEASE', issuer: 'ttl-expiry' });
      }
      for (const p of await this.#approvals.list()) {
        if (p.expiresAt > now) continue;
        if (!(await this.#approvals.take(p.id))) continue;
        await this.#audit.append({ at: now, kind: 'approval-expired', actor: 'responder', agentId: p.agentId, details: { approvalId: p.id, outcome: p.decision.onTimeout } });
        if (p.decision.onTimeout !== 'escalate') continue;
        // Nobody answered: an isolation without a human, so it meets the gate like an automatic one.
        await this.#judge({ path: 'approval-timeout', agentId: p.agentId, action: p.decision.action, alert: p.alert }, p.decision, p.alert, `approval-timeout:${p.decision.ruleId}`, now);
      }
    } catch (err) {
      this.#o.logger.error({ err: (err as Error).message }, 'responder tick failed; retrying next tick');
    } finally {
      this.#ticking = false;
    }
  }

  /** A human approved: the gate still refuses what no human may approve (the fleet key, an unverified alert). */
  async approve(id: string, who: string): Promise<IsolationOutcome | null> {
    const p = await this.#approvals.take(id);
    if (!p) return null;
    const now = this.#now();
    await this.#audit.append({ at: now, kind: 'approved', actor: who, agentId: p.agentId, details: { approvalId: id, alertId: p.alert.alertId } });
    return this.#judge({ path: 'approved', agentId: p.agentId, action: p.decision.action, alert: p.alert }, p.decision, p.alert, who, now);
  }

  async deny(id: string, who: string): Promise<boolean> {
    const p = await this.#approvals.take(id);
    if (!p) return false;
    await this.#audit.append({ at: this.#now(), kind: 'denied', actor: who, agentId: p.agentId, details: { approvalId: id, alertId: p.alert.alertId } });
    return true;
  }

  /**
   * Operator commands (API): quarantine or release one agent (path operator), or the fleet-wide switch on
   * the fleet key (path fleet, quarantine only with the confirmation phrase). Through the gate like the rest.
   */
  async manual(o: { path: 'operator' | 'fleet'; agentId: string; type: 'QUARANTINE' | 'RELEASE'; reason: string; who: string; ttlMs?: number | null; confirmation?: string | null }): Promise<IsolationOutcome> {
    const now = this.#now();
    const { path } = o;
    const action = o.type === 'RELEASE' ? 'release' : 'quarantine';
    const verdict = gate({ path, agentId: o.agentId, action, alert: null, confirmation: o.confirmation ?? null }, { policy: this.#o.policy, breaker: this.#breaker, nowMs: now });
    this.#metrics.gate.inc({ path, outcome: verdict.outcome, code: verdict.code });
    if (verdict.outcome !== 'allow') { // the gate never holds a human's own command: anything else is a refusal
      await this.#audit.append({ at: now, kind: 'refused', actor: o.who, agentId: o.agentId, details: { path, code: verdict.code, reason: verdict.reason, action } });
      return { outcome: 'refused', verdict };
    }
    const cmd = buildCommand({ agentId: o.agentId, type: o.type, reason: o.reason, issuedBy: o.who, issuedAt: now, ttlMs: o.ttlMs ?? null, requestId: `${o.who}:${randomUUID()}` });
    await this.#isolations.issue(cmd, o.who);
    this.#metrics.commands.inc({ type: o.type, issuer: 'operator' });
    return { outcome: 'issued', command: cmd, verdict };
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    await this.#consumer?.disconnect().catch(() => undefined);
    await this.#producer?.disconnect().catch(() => undefined);
    await this.#isolations?.disconnect().catch(() => undefined);
    await this.#redis?.quit().catch(() => undefined);
  }
}
