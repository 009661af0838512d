/**
 * The responder: security.alerts in, decisions out. Each alert is decided by
 * the policy (pure), then notified, queued for approval, or turned into a
 * QuarantineCommand (behind the circuit breaker). A ticker releases expired
 * isolations and settles timed-out approvals. Every step is audited.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer, type Consumer, type Producer } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { counter, Registry } from '../../shared/metrics/index.js';
import { createRedis, type Redis } from '../../shared/redis/index.js';
import { createRegistry, registerSchemas, type SchemaIds, type SchemaRegistry } from '../../shared/registry/index.js';
import { buildCommand, CircuitBreaker, decide, dueForRelease, expiryRelease, FLEET, type Decision, type Policy } from '../../shared/response/index.js';
import type { Alert, QuarantineCommand } from '../../shared/schemas/generated.js';
import { Approvals, type PendingApproval } from './approvals.js';
import { AuditLog } from './auditLog.js';
import { Isolations } from './isolations.js';

export const CIRCUIT_BREAKER_DETECTOR = 'circuit-breaker';

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
    await this.#audit.append({ at: now, kind: 'decision', actor: `policy:${decision.ruleId}`, agentId: alert.agentId, details: { alertId: alert.alertId, action: decision.action, mode: decision.mode, heldBecause: decision.heldBecause, reason: decision.reason } });
    if (decision.action !== 'notify') {
      if (decision.mode === 'approval') await this.#requestApproval(alert, decision, now);
      else await this.#isolateAutomatically(alert, decision, now);
    }
    // Marked only after acting: a crash in between redelivers the alert, and the command id makes a second issue harmless.
    await this.#redis.set(seenKey, '1', 'EX', 7 * 24 * 3600);
    return decision;
  }

  async #isolateAutomatically(alert: Alert, decision: Decision, now: number): Promise<void> {
    const verdict = this.#breaker.check(alert.agentId, now);
    if (!verdict.allowed) {
      if (verdict.justTripped) await this.#tripped(verdict.agentsInWindow, now);
      // Held for a human instead; a timeout dismisses it.
      await this.#requestApproval(alert, { ...decision, mode: 'approval', onTimeout: 'dismiss' }, now);
      return;
    }
    await this.#execute(alert.agentId, decision, [alert.alertId], `policy:${decision.ruleId}`, now);
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

  async #requestApproval(alert: Alert, decision: Decision, now: number): Promise<void> {
    const pending: PendingApproval = {
      id: createHash('sha256').update(`approval\n${alert.alertId}`).digest('hex').slice(0, 16),
      agentId: alert.agentId,
      alert: { alertId: alert.alertId, title: alert.title, severity: alert.severity, score: alert.score, detector: alert.detector, ruleId: alert.ruleId, agentRole: alert.agentRole },
      decision,
      requestedAt: now,
      expiresAt: now + decision.approvalTimeoutMs,
    };
    if (await this.#approvals.add(pending)) {
      await this.#audit.append({ at: now, kind: 'approval-requested', actor: `policy:${decision.ruleId}`, agentId: alert.agentId, details: { approvalId: pending.id, alertId: alert.alertId, action: decision.action, expiresAt: pending.expiresAt, onTimeout: decision.onTimeout } });
    }
  }

  async #tripped(agents: number, now: number): Promise<void> {
    this.#metrics.breakerTrips.inc();
    const { windowMs, maxAgents } = this.#o.policy.circuitBreaker;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const alert: Alert = {
      alertId: createHash('sha256').update(`circuit-breaker\n${windowStart}`).digest('hex').slice(0, 32),
      agentId: FLEET, agentRole: 'fleet', tenantId: 'all', detector: CIRCUIT_BREAKER_DETECTOR, ruleId: 'response.circuit-breaker',
      title: 'Automatic isolation stopped: too many agents flagged at once',
      description: `${agents} agents were to be isolated within ${windowMs / 1000} s (limit ${maxAgents}). Automatic isolation is paused; further isolations wait for a human. Check the detectors before approving.`,
      severity: 'CRITICAL', score: 100, firstSeen: now, lastSeen: now, count: 1,
      evidence: { metric: 'agents flagged per window', observed: agents, baselineMean: null, baselineStd: null, baselineMedian: null, baselineMad: null, sampleSize: 0, baselineSource: 'rule', windowStart: now - windowMs, windowEnd: now, relatedEventIds: [], details: { maxAgents: String(maxAgents) } },
      tags: ['warden:safeguard'],
    };
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
        if (p.decision.onTimeout === 'escalate') await this.#execute(p.agentId, p.decision, [p.alert.alertId], `approval-timeout:${p.decision.ruleId}`, now);
      }
    } catch (err) {
      this.#o.logger.error({ err: (err as Error).message }, 'responder tick failed; retrying next tick');
    } finally {
      this.#ticking = false;
    }
  }

  /** A human approved: isolate now (a human decision is not held by the circuit breaker). */
  async approve(id: string, who: string): Promise<QuarantineCommand | null> {
    const p = await this.#approvals.take(id);
    if (!p) return null;
    const now = this.#now();
    await this.#audit.append({ at: now, kind: 'approved', actor: who, agentId: p.agentId, details: { approvalId: id, alertId: p.alert.alertId } });
    return this.#execute(p.agentId, p.decision, [p.alert.alertId], who, now);
  }

  async deny(id: string, who: string): Promise<boolean> {
    const p = await this.#approvals.take(id);
    if (!p) return false;
    await this.#audit.append({ at: this.#now(), kind: 'denied', actor: who, agentId: p.agentId, details: { approvalId: id, alertId: p.alert.alertId } });
    return true;
  }

  /** Operator commands (API): quarantine, release, or the fleet-wide switch. */
  async manual(agentId: string, type: 'QUARANTINE' | 'RELEASE', reason: string, who: string, ttlMs: number | null = null): Promise<QuarantineCommand> {
    const now = this.#now();
    const cmd = buildCommand({ agentId, type, reason, issuedBy: who, issuedAt: now, ttlMs, requestId: `${who}:${randomUUID()}` });
    await this.#isolations.issue(cmd, who);
    this.#metrics.commands.inc({ type, issuer: 'operator' });
    return cmd;
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
