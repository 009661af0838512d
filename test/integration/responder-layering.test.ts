/**
 * Isolations only get stronger until released: agent.quarantine is compacted,
 * so the latest command is the agent's whole state. A second throttle must
 * keep the first one's revocations, and a throttle must not lift a quarantine.
 * Checked through a real SDK following the real topic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponderService } from '../../services/responder/service.js';
import { parsePolicy } from '../../shared/response/index.js';
import { Keyring } from '../../shared/signing/index.js';
import { createAgentTelemetry, type AgentTelemetry } from '../../shared/telemetry/index.js';
import { alert } from '../support/alerts.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const config = isolatedConfig('layering');
const policy = parsePolicy(`
version: 1
circuitBreaker: { maxAgents: 100, windowMs: 60000 }
rules:
  - { id: cut-egress, description: d, match: { rules: ["test.egress"] }, action: throttle, revoke: ["net.egress"], mode: auto, ttlMs: 3600000 }
  - { id: cut-payments, description: d, match: { rules: ["test.payments"] }, action: throttle, revoke: ["payment.*"], mode: auto, ttlMs: 3600000 }
  - { id: stop, description: d, match: { rules: ["test.stop"] }, action: quarantine, mode: auto, ttlMs: 3600000 }
  - { id: notify, description: d, action: notify }
`);
const AGENT = 'layer-1';

describe('isolation layering on the real stack', () => {
  let responder: ResponderService;
  let sdk: AgentTelemetry;
  beforeAll(async () => {
    await provisionTopics(config);
    responder = new ResponderService({ config, logger: testLogger, policy, tickMs: 100, groupId: `responder-${config.topics.alerts.name}` });
    await responder.start();
    sdk = await createAgentTelemetry({ agentId: AGENT, agentRole: 'support', keyring: new Keyring({ [AGENT]: { k1: 'layering-secret-0123456789' } }), config, logger: testLogger, killSwitch: {} });
  });
  afterAll(async () => {
    await sdk?.close();
    await responder?.stop();
  });

  const allowed = (capability: string) => sdk.check(capability).allowed;

  it('a second throttle adds to the first, and a throttle after a quarantine keeps the quarantine', async () => {
    await responder.handleAlert(alert(AGENT, { ruleId: 'test.egress', severity: 'MEDIUM' }));
    await eventually(() => !allowed('net.egress'), 5000, 'egress cut');
    expect(allowed('payment.transfer')).toBe(true);

    await responder.handleAlert(alert(AGENT, { ruleId: 'test.payments', severity: 'MEDIUM' }));
    await eventually(() => !allowed('payment.transfer'), 5000, 'payments cut');
    expect(allowed('net.egress')).toBe(false); // the first throttle still holds
    expect(allowed('data.read')).toBe(true);

    await responder.handleAlert(alert(AGENT, { ruleId: 'test.stop', severity: 'CRITICAL' }));
    await eventually(() => sdk.state().mode === 'QUARANTINED', 5000, 'the quarantine');

    const kept = await responder.handleAlert(alert(AGENT, { ruleId: 'test.egress', severity: 'MEDIUM' }));
    expect(kept?.action).toBe('throttle');
    const kinds = (await responder.audit.entries()).map((e) => e.kind);
    expect(kinds).toContain('kept-stronger');
    expect(sdk.state().mode).toBe('QUARANTINED');
    expect(allowed('data.read')).toBe(false);
  });
});
