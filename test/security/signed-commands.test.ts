/**
 * Issue 9, "the kill switch trusts the command's contents": anyone who could write agent.quarantine
 * could release (or stop) any agent. On the real stack, a real SDK for billing-01 is quarantined by a
 * signed command; then every forgery an attacker with write access can make is published, and the
 * SDK must ignore each one (its guarded calls are still refused), count it by kind in stats() and a
 * metric, and log each kind once. Correctly signed commands, including by a rotated-in key, are obeyed.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentQuarantinedError } from '../../shared/errors/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { Registry } from '../../shared/metrics/index.js';
import {
  CommandKeyset, CommandSigner, HEADER_CMD_KID, HEADER_CMD_SIG, Keyring, commandSignedBytes, signCommandRecord, type CommandRejection,
} from '../../shared/signing/index.js';
import { createAgentTelemetry, type AgentTelemetry } from '../../shared/telemetry/index.js';
import { command, encodeCommand, publishCommands, publishRecords, type RawRecord } from '../support/commands.js';
import { eventually, isolatedConfig, provisionTopics } from '../support/stack.js';

const AGENT = 'billing-01';
const fleetOld = CommandSigner.generate('fleet-2026-11', 'fleet');
const fleetNew = CommandSigner.generate('fleet-2026-12', 'fleet');
const agentKey = CommandSigner.generate('agent-2026-12', 'agent');
const rogue = CommandSigner.generate('fleet-2026-12-rogue', 'fleet'); // a key the SDKs were never given
const trusted = CommandKeyset.fromJwks({ keys: [fleetOld, fleetNew, agentKey].flatMap((s) => s.keyset().toJwks().keys) }, 'test keyset');
const base = isolatedConfig('signed-cmds');
const config = { ...base, commandSigning: { ...base.commandSigning, publicKeys: JSON.stringify(trusted.toJwks()) } };
const keyring = new Keyring({ [AGENT]: { k1: 'billing-01-secret-0123456789' } });

const logLines: { msg?: string; reason?: string }[] = [];
const logger = createLogger('signed-commands-test', {
  level: 'warn',
  destination: new Writable({ write: (chunk, _enc, done) => { logLines.push(JSON.parse(chunk.toString())); done(); } }),
});
const metrics = new Registry();
const open: AgentTelemetry[] = [];
let sdk: AgentTelemetry;
let quarantinedAt = 0;

const sdkFor = async () => {
  const t = await createAgentTelemetry({ agentId: AGENT, agentRole: 'finance', keyring, config, logger, metrics, killSwitch: {} });
  open.push(t);
  return t;
};
const ignored = (t: AgentTelemetry): Partial<Record<CommandRejection, number>> => (t.stats() as { commandsIgnored?: Partial<Record<CommandRejection, number>> }).commandsIgnored ?? {};
const totalIgnored = (t: AgentTelemetry) => Object.values(ignored(t)).reduce((a, b) => a + (b ?? 0), 0);
const signed = async (key: string, cmd: ReturnType<typeof command>, signer: CommandSigner): Promise<RawRecord> => {
  const value = await encodeCommand(config, cmd);
  return { key, value, headers: signCommandRecord(signer, key, value) };
};
const release = (agentId: string, over: Parameters<typeof command>[1] = {}) => command(agentId, { type: 'RELEASE', reason: 'attacker', ...over });

/** A fresh signed QUARANTINE, obeyed, so each attack starts from a quarantined agent (also on the old code). */
async function quarantine(): Promise<void> {
  quarantinedAt = Date.now();
  await publishCommands(config, [command(AGENT, { reason: 'exfiltration under investigation', issuedAt: quarantinedAt })], agentKey);
  await eventually(() => sdk.state().mode === 'QUARANTINED' && sdk.state().reason === 'exfiltration under investigation' ? true : undefined, 10_000, 'the signed QUARANTINE to be obeyed');
}

describe('signed isolation commands, verified by a real SDK', () => {
  beforeAll(async () => {
    await provisionTopics(config);
    sdk = await sdkFor();
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.close()));
  });

  it('obeys a correctly signed QUARANTINE', async () => {
    expect(await sdk.guard('data.read', () => 'read')).toBe('read');
    await quarantine();
    await expect(sdk.guard('data.read', () => 'read')).rejects.toBeInstanceOf(AgentQuarantinedError);
  });

  const attacks: [string, CommandRejection, () => Promise<RawRecord[]>][] = [
    ['an unsigned RELEASE under its own key', 'unsigned', async () => [{ key: AGENT, value: await encodeCommand(config, release(AGENT)) }]],
    ['a tombstone (null value) under its own key', 'unsigned', async () => [{ key: AGENT, value: null }]],
    ['a RELEASE carrying the signature of another command (forged)', 'bad-signature', async () => {
      const genuine = await signed(AGENT, command(AGENT), agentKey);
      return [{ key: AGENT, value: await encodeCommand(config, release(AGENT)), headers: genuine.headers }];
    }],
    ['a genuine RELEASE for other-agent, moved under key billing-01', 'bad-signature', async () => [{ ...(await signed('other-agent', release('other-agent'), fleetNew)), key: AGENT }]],
    ['a RELEASE signed by a key the SDK does not know', 'unknown-key', async () => [await signed(AGENT, release(AGENT), rogue)]],
    ['a validly signed RELEASE naming other-agent, delivered under key billing-01', 'key-mismatch', async () => [await signed(AGENT, release('other-agent'), fleetNew)]],
    ['a validly signed RELEASE for billing-01, delivered under the fleet key *', 'key-mismatch', async () => [await signed('*', release(AGENT), fleetNew)]],
    ['a genuine RELEASE older than the QUARANTINE in force (stale)', 'stale', async () => [await signed(AGENT, release(AGENT, { issuedAt: quarantinedAt - 60_000 }), agentKey)]],
    ['signed bytes that are not a command', 'undecodable', async () => {
      const value = Buffer.from('not avro at all');
      return [{ key: AGENT, value, headers: signCommandRecord(fleetNew, AGENT, value) }];
    }],
  ];

  it.each(attacks)('ignores %s (counted as %s): guarded calls are still refused', async (_name, kind, records) => {
    await quarantine();
    const before = ignored(sdk)[kind] ?? 0;
    const total = totalIgnored(sdk);
    await publishRecords(config, await records());
    // Either the SDK counts the record as ignored, or (the bug) it obeys it: wait for whichever comes first.
    await eventually(() => totalIgnored(sdk) > total || sdk.check('data.read').allowed, 10_000, 'the record to be counted or obeyed');
    await expect(sdk.guard('data.read', () => 'read'), 'a forged command must not release the agent').rejects.toBeInstanceOf(AgentQuarantinedError);
    expect(sdk.state().mode).toBe('QUARANTINED');
    expect(ignored(sdk)[kind]).toBe(before + 1);
  });

  it('ignores a fleet RELEASE signed with an agent-scope key; obeys fleet commands signed by the rotated-in fleet key', async () => {
    await publishCommands(config, [command('*', { reason: 'fleet kill switch: incident 42' })], fleetOld);
    await eventually(() => sdk.state().reason === 'fleet kill switch: incident 42' ? true : undefined, 10_000, 'the fleet QUARANTINE');

    // An agent-scope key holder signs a fleet RELEASE by hand (the signer refuses to): good signature, wrong scope.
    const value = await encodeCommand(config, release('*'));
    const privateKey = createPrivateKey({ key: agentKey.exportPrivateJwks().keys[0]!, format: 'jwk' });
    const headers = { [HEADER_CMD_KID]: 'agent-2026-12', [HEADER_CMD_SIG]: sign(null, commandSignedBytes('agent-2026-12', '*', value), privateKey).toString('base64') };
    const before = ignored(sdk)['key-mismatch'] ?? 0;
    await publishRecords(config, [{ key: '*', value, headers }]);
    await eventually(() => (ignored(sdk)['key-mismatch'] ?? 0) > before || sdk.state().reason !== 'fleet kill switch: incident 42', 10_000, 'the fleet record to be counted or obeyed');
    expect(sdk.state()).toMatchObject({ mode: 'QUARANTINED', reason: 'fleet kill switch: incident 42' });
    expect(ignored(sdk)['key-mismatch']).toBe(before + 1);

    // Rotation: the fleet QUARANTINE was signed by the old kid, this RELEASE by the new one; both are trusted.
    await publishCommands(config, [command('*', { type: 'RELEASE', reason: 'incident 42 closed' })], fleetNew);
    await eventually(() => sdk.state().reason === 'exfiltration under investigation' ? true : undefined, 10_000, 'the fleet RELEASE');
    await expect(sdk.guard('data.read', () => 'read')).rejects.toBeInstanceOf(AgentQuarantinedError); // its own quarantine still holds
  });

  const expected = { unsigned: 2, 'bad-signature': 2, 'unknown-key': 1, 'key-mismatch': 3, stale: 1, undecodable: 1 };

  it('a restarted SDK reads the whole feed, forgeries included, and starts out quarantined', async () => {
    const restarted = await sdkFor();
    expect(restarted.state().mode).toBe('QUARANTINED');
    await expect(restarted.guard('data.read', () => 'read')).rejects.toBeInstanceOf(AgentQuarantinedError);
    // Read in offset order, the stale RELEASE comes after the QUARANTINE it is older than: stale here too.
    expect(ignored(restarted)).toEqual(expected);
  });

  it('obeys a correctly signed RELEASE; stats, the metric and the log show every kind', async () => {
    await publishCommands(config, [release(AGENT, { reason: 'cleared by the SOC' })], agentKey);
    await eventually(() => sdk.check('data.read').allowed && open[1]!.check('data.read').allowed, 10_000, 'the signed RELEASE');
    expect(await sdk.guard('data.read', () => 'read')).toBe('read');
    expect(ignored(sdk)).toEqual(expected);

    // Both SDK instances count into one registry under the same agent_id: twice each kind.
    const metric = await metrics.getSingleMetric('warden_sdk_commands_ignored_total')?.get();
    const byReason = Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.reason, v.value]));
    expect(byReason).toEqual(Object.fromEntries(Object.entries(expected).map(([k, n]) => [k, 2 * n])));
    // One log line per kind per SDK instance, not one per record.
    const lines = logLines.filter((l) => /isolation command ignored/.test(l.msg ?? ''));
    for (const kind of Object.keys(expected)) expect(lines.filter((l) => l.reason === kind), kind).toHaveLength(2);
    expect(lines).toHaveLength(2 * Object.keys(expected).length);
  });
});
