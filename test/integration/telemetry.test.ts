import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentQuarantinedError } from '../../shared/errors/index.js';
import { createKafka, type KafkaMessage } from '../../shared/kafka/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import { Keyring, verifySignature } from '../../shared/signing/index.js';
import { createAgentTelemetry, type AgentTelemetry } from '../../shared/telemetry/index.js';
import { command, publishCommands } from '../support/commands.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const config = isolatedConfig('sdk');
const keyring = new Keyring({
  'support-1': { k1: 'support-1-secret-0123456789' },
  'finance-1': { k1: 'finance-1-secret-0123456789' },
  'late-1': { k1: 'late-1-secret-0123456789abc' },
});
const open: AgentTelemetry[] = [];
const sdk = async (agentId: string, agentRole = 'support') => {
  const t = await createAgentTelemetry({ agentId, agentRole, tenantId: 'acme', keyring, config, logger: testLogger, lingerMs: 5 });
  open.push(t);
  return t;
};

/** Resolves with the time it took until `capability` is refused. */
async function refusedWithin(t: AgentTelemetry, capability: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await eventually(() => !t.check(capability).allowed, timeoutMs, `${capability} to be refused`);
  return Date.now() - t0;
}

describe('agent telemetry SDK on the real stack', () => {
  beforeAll(async () => provisionTopics(config));
  afterAll(async () => {
    await Promise.all(open.map((t) => t.close()));
  });

  it('emits an event that reads back from agent.events, decodes through the registry and verifies', async () => {
    const t = await sdk('support-1');
    const sent = await t.emit({ action: 'data.read', resource: 'crm.customers', records: 12, bytesOut: 900, text: 'find order 17' });
    await t.flush();
    expect(t.stats()).toMatchObject({ emitted: 1, sent: 1, dropped: 0 });

    const consumer = createKafka(config, testLogger).consumer({ groupId: `readback-${config.topics.events.name}` });
    const got: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.events.name, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    await eventually(() => got.length >= 1, 20_000, 'the event on agent.events');
    await consumer.disconnect();

    const m = got[0]!;
    expect(m.key?.toString()).toBe('support-1');
    expect(await createRegistry(config).decode(m.value!)).toEqual(sent);
    expect(verifySignature(keyring, 'support-1', m.value!, m.headers)).toBe('valid');
    // One changed byte and it no longer verifies.
    const forged = Buffer.from(m.value!);
    forged[forged.length - 1]! ^= 1;
    expect(verifySignature(keyring, 'support-1', forged, m.headers)).toBe('invalid');
  });

  it('a QUARANTINE makes a guarded call fail within 1 s, a RELEASE lets it through again', async () => {
    const t = await sdk('support-1');
    const changes: string[] = [];
    t.onStateChange((s) => changes.push(s.mode));
    expect(await t.guard('email.send', () => 'sent')).toBe('sent');

    await publishCommands(config, [command('support-1', { reason: 'exfiltration suspected' })]);
    expect(await refusedWithin(t, 'email.send', 1000)).toBeLessThanOrEqual(1000);
    await expect(t.guard('email.send', () => 'sent')).rejects.toBeInstanceOf(AgentQuarantinedError);
    await expect(t.guard('data.read', () => 'read')).rejects.toThrow(/QUARANTINED \(exfiltration suspected\)/);

    await publishCommands(config, [command('support-1', { type: 'RELEASE' })]);
    await eventually(() => t.check('email.send').allowed, 1000, 'release');
    expect(await t.guard('email.send', () => 'sent')).toBe('sent');
    expect(changes).toEqual(['QUARANTINED', 'ACTIVE']);
  });

  it('a new SDK instance started after the QUARANTINE starts out quarantined', async () => {
    await publishCommands(config, [command('late-1', { reason: 'impostor' })]);
    const t = await sdk('late-1');
    expect(t.state().mode).toBe('QUARANTINED');
    await expect(t.guard('data.read', () => 1)).rejects.toBeInstanceOf(AgentQuarantinedError);
  });

  it('a THROTTLE revoking payment.* blocks payment.transfer but not data.read', async () => {
    const t = await sdk('finance-1', 'finance');
    await publishCommands(config, [command('finance-1', { type: 'THROTTLE', revokedCapabilities: ['payment.*'] })]);
    await refusedWithin(t, 'payment.transfer', 1000);
    await expect(t.guard('payment.transfer', () => 'paid')).rejects.toBeInstanceOf(AgentQuarantinedError);
    expect(await t.guard('data.read', () => 'read')).toBe('read');
    expect(t.state()).toMatchObject({ mode: 'THROTTLED', revokedCapabilities: ['payment.*'] });
  });

  it('rejects bad input at the source with a typed error and sends nothing', async () => {
    const t = await sdk('support-1');
    const before = t.stats().emitted;
    await expect(t.emit({ action: 'data.read', bytesOut: -1 })).rejects.toThrow(/bytesOut/);
    expect(t.stats().emitted).toBe(before);
  });
});
