/**
 * One decision path for every isolation (issue 9): an approval that escalates
 * on timeout, an alert naming the fleet key `*`, and an alert raised for
 * unverified (forged or unsigned) events must meet the same safeguards as an
 * automatic isolation. Real Kafka, registry and Redis; a real ResponderService
 * whose clock the test drives (approval timeouts pass without waiting).
 *
 * Outcomes are read from the audit trail (every command, hold and refusal is
 * audited) and, for the absence of a command, from everything written to the
 * real agent.quarantine topic up to its end offsets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponderService } from '../../services/responder/service.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import { FLEET, parsePolicy, type AuditEntry } from '../../shared/response/index.js';
import type { Alert, QuarantineCommand } from '../../shared/schemas/generated.js';
import { alert, publishAlerts } from '../support/alerts.js';
import { readAlerts, readTopic } from '../support/detector.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const TIMEOUT_MS = 60_000;
const policyText = (maxAgents: number) => `
version: 1
protectedAgents: ["vip-*"]
circuitBreaker: { maxAgents: ${maxAgents}, windowMs: 600000 }
rules:
  - { id: test-escalate, description: d, match: { rules: ["test.escalate"] }, action: quarantine, mode: approval, ttlMs: 3600000, approval: { timeoutMs: ${TIMEOUT_MS}, onTimeout: escalate } }
  - { id: test-auto, description: d, match: { rules: ["test.auto"] }, action: quarantine, mode: auto, ttlMs: 3600000 }
  - { id: careless-impersonation, description: "a policy that would isolate on forged events", match: { rules: ["impersonation.*"] }, action: quarantine, mode: auto }
  - { id: notify, description: d, action: notify }
`;

interface Harness { config: WardenConfig; responder: ResponderService; now(): number; advance(ms: number): void }

async function startHarness(label: string, maxAgents: number): Promise<Harness> {
  const config = isolatedConfig(label);
  await provisionTopics(config);
  let clock = Date.now();
  const responder = new ResponderService({ config, logger: testLogger, policy: parsePolicy(policyText(maxAgents)), tickMs: 50, groupId: `responder-${config.topics.alerts.name}`, now: () => clock });
  await responder.start();
  return { config, responder, now: () => clock, advance: (ms) => void (clock += ms) };
}

/**
 * An approval that escalates on timeout, queued the way a responder without the gate queued it (or another
 * instance running an older policy): the timeout path must judge it again, not trust the queue.
 */
async function queueEscalatingApproval(h: Harness, a: Alert): Promise<void> {
  const decision = { ruleId: 'test-escalate', action: 'quarantine' as const, mode: 'approval' as const, revoke: [], ttlMs: 3_600_000, approvalTimeoutMs: TIMEOUT_MS, onTimeout: 'escalate' as const, reason: 'queued before the gate' };
  const summary = { alertId: a.alertId, title: a.title, severity: a.severity, score: a.score, detector: a.detector, ruleId: a.ruleId, agentRole: a.agentRole, tags: a.tags };
  const added = await h.responder.approvals.add({ id: `legacy-${a.alertId.slice(0, 8)}`, agentId: a.agentId, alert: summary, decision, hold: { code: 'approval-required', reason: 'queued before the gate' }, requestedAt: h.now(), expiresAt: h.now() + TIMEOUT_MS });
  expect(added).toBe(true);
}

/** Every command written to agent.quarantine so far: read up to the end offsets, so an absence is a real absence. */
async function commandsOnTopic(config: WardenConfig): Promise<QuarantineCommand[]> {
  const admin = createKafka(config, testLogger).admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(config.topics.quarantine.name)).reduce((s, p) => s + Number(p.high), 0);
  await admin.disconnect();
  if (total === 0) return [];
  const registry = createRegistry(config);
  return Promise.all((await readTopic(config, config.topics.quarantine.name, total)).map((m) => registry.decode(m.value!) as Promise<QuarantineCommand>));
}

const mentions = (e: AuditEntry, alertId: string) => e.details.alertId === alertId || (Array.isArray(e.details.alertIds) && e.details.alertIds.includes(alertId));

/** The audit entry that settles an alert's isolation: a command, a refusal, or a timeout that dismissed it. */
async function settled(h: Harness, a: Alert, what: string): Promise<AuditEntry> {
  return eventually(async () => {
    const entries = await h.responder.audit.entries();
    const approvalIds = new Set(entries.filter((e) => e.kind === 'approval-requested' && mentions(e, a.alertId)).map((e) => e.details.approvalId));
    return entries.find(
      (e) => (['command', 'refused', 'kept-stronger'].includes(e.kind) && mentions(e, a.alertId)) || (e.kind === 'approval-expired' && approvalIds.has(e.details.approvalId) && e.details.outcome === 'dismiss'),
    );
  }, 15_000, what);
}

/** Waits until the responder has put the alert up for approval (so a clock jump times it out). */
async function pendingFor(h: Harness, a: Alert): Promise<void> {
  await eventually(async () => (await h.responder.approvals.list()).some((p) => p.alert.alertId === a.alertId), 15_000, `an approval for ${a.agentId}`);
}

describe('one decision path for every isolation (real stack)', () => {
  let main: Harness;
  beforeAll(async () => {
    main = await startHarness('decision-path', 100);
  });
  afterAll(async () => {
    await main?.responder.stop();
  });

  it('(i) an escalating approval for a protected agent never issues a QUARANTINE', async () => {
    const a = alert('vip-payments', { ruleId: 'test.escalate', severity: 'HIGH' });
    const queued = alert('vip-ledger', { ruleId: 'test.escalate', severity: 'HIGH' });
    await publishAlerts(main.config, [a]);
    await pendingFor(main, a);
    await queueEscalatingApproval(main, queued);
    main.advance(TIMEOUT_MS + 1);
    const outcomes = [await settled(main, a, 'the escalation to be settled'), await settled(main, queued, 'the queued escalation to be settled')];
    const onAgents = (await commandsOnTopic(main.config)).filter((c) => c.agentId.startsWith('vip-'));
    expect(onAgents.map((c) => `${c.type} ${c.agentId} by ${c.issuedBy}`), 'commands on protected agents').toEqual([]);
    // The proposal was held (its timeout dismissed it); the queued escalation met the gate on timeout.
    expect(outcomes.map((e) => [e.kind, e.details.outcome ?? e.details.code])).toEqual([['approval-expired', 'dismiss'], ['refused', 'protected-agent']]);
  });

  it('(iii) an alert naming the fleet key `*` never yields a command on `*`, automatically or by timeout', async () => {
    const auto = alert(FLEET, { ruleId: 'test.auto', severity: 'CRITICAL' });
    const escalating = alert(FLEET, { ruleId: 'test.escalate', severity: 'HIGH' });
    const queued = alert(FLEET, { ruleId: 'test.escalate', severity: 'HIGH' });
    await publishAlerts(main.config, [auto, escalating]);
    const autoOutcome = await settled(main, auto, 'the automatic decision on `*`');
    // The escalating one is refused before it is ever queued (or, on the old code, queued and escalated).
    await eventually(async () => (await main.responder.audit.entries()).some((e) => e.kind === 'decision' && e.details.alertId === escalating.alertId), 15_000, 'the decision on the escalating `*` alert');
    await queueEscalatingApproval(main, queued);
    main.advance(TIMEOUT_MS + 1);
    const outcomes = [autoOutcome, await settled(main, escalating, 'the escalation on `*`'), await settled(main, queued, 'the queued escalation on `*`')];
    const onFleet = (await commandsOnTopic(main.config)).filter((c) => c.agentId === FLEET);
    expect(onFleet.map((c) => `${c.type} by ${c.issuedBy}`), 'commands on the fleet key').toEqual([]);
    expect(outcomes.map((e) => [e.kind, e.details.path, e.details.code])).toEqual([['refused', 'automatic', 'fleet-key'], ['refused', 'proposed', 'fleet-key'], ['refused', 'approval-timeout', 'fleet-key']]);
  });

  it('(iv) an alert tagged warden:unverified never yields a command, on the auto or the timeout path', async () => {
    const tags = ['warden:unverified', 'mitre:T1036'];
    const auto = alert('forged-auto', { ruleId: 'test.auto', severity: 'CRITICAL', tags });
    const escalating = alert('forged-escalate', { ruleId: 'test.escalate', severity: 'HIGH', tags });
    const signature = alert('forged-signature', { detector: 'impersonation', ruleId: 'impersonation.signature', severity: 'CRITICAL', tags });
    const queued = alert('forged-queued', { ruleId: 'test.escalate', severity: 'HIGH', tags });
    await publishAlerts(main.config, [auto, escalating, signature]);
    await eventually(async () => (await main.responder.audit.entries()).filter((e) => e.kind === 'decision' && [auto, escalating, signature].some((x) => x.alertId === e.details.alertId)).length === 3, 15_000, 'three decisions');
    await queueEscalatingApproval(main, queued);
    main.advance(TIMEOUT_MS + 1);
    const outcomes = await Promise.all([auto, escalating, signature, queued].map((a) => settled(main, a, `the outcome for ${a.agentId}`)));
    const forged = (await commandsOnTopic(main.config)).filter((c) => c.agentId.startsWith('forged-'));
    expect(forged.map((c) => `${c.type} ${c.agentId} by ${c.issuedBy}`), 'commands on agents named by forged events').toEqual([]);
    expect(outcomes.map((e) => [e.kind, e.details.path, e.details.code])).toEqual([
      ['refused', 'automatic', 'unverified-alert'],
      ['refused', 'proposed', 'unverified-alert'],
      ['refused', 'automatic', 'unverified-alert'],
      ['refused', 'approval-timeout', 'unverified-alert'],
    ]);
    const refusals = (await main.responder.audit.entries()).filter((e) => e.kind === 'refused' && e.details.code === 'unverified-alert');
    expect(refusals.every((e) => typeof e.details.reason === 'string' && /unverified/.test(e.details.reason as string))).toBe(true);
  });
});

describe('escalations and the circuit breaker (real stack)', () => {
  let storm: Harness;
  beforeAll(async () => {
    storm = await startHarness('decision-breaker', 2);
  });
  afterAll(async () => {
    await storm?.responder.stop();
  });

  it('(ii) more escalations than maxAgents in the window do not all isolate: the rest are held and the breaker alert is raised', async () => {
    const agents = ['storm-1', 'storm-2', 'storm-3', 'storm-4', 'storm-5'];
    const alerts = agents.map((a) => alert(a, { ruleId: 'test.escalate', severity: 'HIGH' }));
    await publishAlerts(storm.config, alerts);
    for (const a of alerts) await pendingFor(storm, a);
    storm.advance(TIMEOUT_MS + 1);

    // Each escalation ends as a command or back in the queue, held for a human.
    const isHeld = (e: AuditEntry) => e.kind === 'approval-requested' && e.details.heldBecause === 'circuit-breaker';
    const outcomes = await eventually(async () => {
      const entries = await storm.responder.audit.entries();
      const per = alerts.map((a) => entries.find((e) => (e.kind === 'command' || isHeld(e)) && mentions(e, a.alertId)));
      return per.every(Boolean) ? (per as AuditEntry[]) : undefined;
    }, 15_000, 'every escalation to be issued or held');
    const isolated = (await commandsOnTopic(storm.config)).filter((c) => c.type === 'QUARANTINE').map((c) => c.agentId);
    expect(isolated, 'agents quarantined by escalation').toHaveLength(2);
    expect(outcomes.filter(isHeld)).toHaveLength(3);

    const breaker = await eventually(async () => (await readAlerts(storm.config, 6, 15_000)).find((a) => a.detector === 'circuit-breaker'), 20_000, 'a circuit-breaker alert');
    expect(breaker).toMatchObject({ severity: 'CRITICAL', agentId: FLEET });

    // A held isolation's timeout can only dismiss it: nobody answered, nothing more is isolated.
    storm.advance(TIMEOUT_MS + 1);
    await eventually(async () => (await storm.responder.audit.entries()).filter((e) => e.kind === 'approval-expired' && e.details.outcome === 'dismiss').length === 3, 15_000, 'the held ones dismissed');
    expect((await commandsOnTopic(storm.config)).filter((c) => c.type === 'QUARANTINE')).toHaveLength(2);
  });
});
