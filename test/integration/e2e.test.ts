/**
 * End to end on the real stack: an agent instrumented with the SDK starts
 * exfiltrating -> the detector alerts -> the forwarder writes an OCSF record
 * to siem.alerts and a CEF line to a real rsyslog -> the responder
 * quarantines -> the agent's next guarded call is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDetectionEngine } from '../../services/detector/engine.js';
import { DetectorService } from '../../services/detector/service.js';
import { ResponderService } from '../../services/responder/service.js';
import { SiemForwarder } from '../../services/siem-forwarder/service.js';
import { sinksFromConfig } from '../../services/siem-forwarder/sinks/registry.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { AgentQuarantinedError } from '../../shared/errors/index.js';
import { DEFAULT_POLICY } from '../../shared/response/index.js';
import { Keyring } from '../../shared/signing/index.js';
import { createAgentTelemetry, type AgentTelemetry } from '../../shared/telemetry/index.js';
import { readTopic } from '../support/detector.js';
import { startRsyslog, type Rsyslog } from '../support/rsyslog.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const AGENT = 'e2e-support-1';
const BUCKET = 300_000;

describe('end to end: exfiltration is detected, reported and stopped', () => {
  let rsyslog: Rsyslog;
  let config: WardenConfig;
  let agent: AgentTelemetry;
  const services: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    rsyslog = await startRsyslog();
    const base = isolatedConfig('e2e');
    config = { ...base, siem: { redactions: [], syslog: { host: '127.0.0.1', port: rsyslog.port, tls: false, facility: 10, hostname: 'e2e', minSeverity: 'INFO' } } };
    await provisionTopics(config);
    const keyring = new Keyring({ [AGENT]: { '2026-11': 'e2e-agent-secret-0123456789' } });
    const detector = new DetectorService({ config, logger: testLogger, keyring, engine: createDetectionEngine(), groupId: `${config.topics.events.name}-d` });
    const responder = new ResponderService({ config, logger: testLogger, policy: DEFAULT_POLICY, groupId: `${config.topics.events.name}-r` });
    const forwarder = new SiemForwarder({ config, logger: testLogger, sinks: sinksFromConfig(config.siem), groupId: `${config.topics.events.name}-f` });
    for (const s of [detector, responder, forwarder]) {
      await s.start();
      services.push(s);
    }
    agent = await createAgentTelemetry({ agentId: AGENT, agentRole: 'support', tenantId: 'acme', keyring, config, logger: testLogger });
  });
  afterAll(async () => {
    await agent?.close();
    for (const s of services.reverse()) await s.stop();
    await rsyslog?.stop();
  });

  it('goes from an exfiltration pattern to a refused call', async () => {
    const start = Math.floor((Date.now() - 310 * BUCKET) / BUCKET) * BUCKET;
    // A day of ordinary work (past the learning period): a few reads and small replies per 5 minutes.
    for (let b = 0; b < 300; b++) {
      for (let k = 0; k < 5; k++) {
        await agent.guard('data.read', () => agent.emit({ action: 'data.read', resource: 'kb.articles', records: 2, bytesOut: 1_500, timestamp: start + b * BUCKET + k * 30_000 }));
      }
    }
    expect(await agent.guard('net.egress', () => 'allowed')).toBe('allowed');
    // Then, turned: bulk reads of the customer table sent out to a paste site.
    const exfilAt = start + 301 * BUCKET;
    for (let k = 0; k < 40; k++) {
      await agent.guard('net.egress', () => agent.emit({ action: 'net.egress', target: 'pastebin.com', bytesOut: 2_000_000, records: 500, timestamp: exfilAt + k * 1000 }));
    }
    await agent.flush();

    // The default policy first cuts the agent's ways out (a MEDIUM bulk-read alert: THROTTLE net.egress),
    // then stops it (a HIGH alert for the new paste-site destination: QUARANTINE).
    const cut = await eventually(() => !agent.check('net.egress').allowed, 30_000, 'the agent\'s egress to be cut');
    expect(cut).toBe(true);
    await expect(agent.guard('net.egress', () => 'sent')).rejects.toBeInstanceOf(AgentQuarantinedError);
    await eventually(() => agent.state().mode === 'QUARANTINED', 30_000, 'the quarantine');
    await expect(agent.guard('data.read', () => 'read')).rejects.toBeInstanceOf(AgentQuarantinedError);

    const siem = (await readTopic(config, config.topics.siem.name, 1, 30_000)).map((m) => JSON.parse(m.value!.toString()));
    const finding = siem.find((o) => o.class_uid === 2004 && o.activity_id === 1 && o.resources[0].uid === AGENT);
    expect(finding?.finding_info.analytic.uid).toMatch(/^(volume-spike|unusual-access|rate-spike)/);

    const line = await eventually(() => rsyslog.lines().find((l) => l.includes(`suser=${AGENT}`)), 15_000, 'the syslog line');
    expect(line).toMatch(/CEF:0\|Agent Warden\|/);
  });
});
