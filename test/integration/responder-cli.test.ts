/**
 * `warden quarantine|release|kill-switch` go through the responder's HTTP API
 * with a token, so they meet the same gate as every other isolation. The real
 * CLI process against a real responder and API, with a real SDK obeying.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../services/responder/api.js';
import { ResponderService } from '../../services/responder/service.js';
import { FLEET, parsePolicy, TokenAuth } from '../../shared/response/index.js';
import { Keyring } from '../../shared/signing/index.js';
import { createAgentTelemetry, type AgentTelemetry } from '../../shared/telemetry/index.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const config = isolatedConfig('responder-cli');
const policy = parsePolicy('version: 1\nprotectedAgents: ["vip-*"]\nrules:\n  - { id: notify, description: d, action: notify }\n');
const tokens = { viewer: 'cli-viewer-token-abcdefgh', responder: 'cli-responder-token-abcdefgh' };
const AGENT = 'cli-agent-1';

interface Run { code: number; stdout: string; stderr: string }

/** Runs the real `warden` CLI; the environment carries no token unless given. */
function warden(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { WARDEN_API_TOKEN: _t, WARDEN_API_URL: _u, ...rest } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/warden.ts', ...args], { env: { ...rest, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('warden quarantine|release|kill-switch through the responder API', () => {
  let responder: ResponderService;
  let api: Awaited<ReturnType<typeof startApi>>;
  let sdk: AgentTelemetry;
  let url: string;
  beforeAll(async () => {
    await provisionTopics(config);
    responder = new ResponderService({ config, logger: testLogger, policy, tickMs: 100, groupId: `responder-${config.topics.alerts.name}` });
    await responder.start();
    api = await startApi({ port: 0, auth: new TokenAuth([{ name: 'vera', role: 'viewer', token: tokens.viewer }, { name: 'rick', role: 'responder', token: tokens.responder }]), responder, logger: testLogger });
    url = `http://127.0.0.1:${api.port}`;
    sdk = await createAgentTelemetry({ agentId: AGENT, agentRole: 'support', keyring: new Keyring({ [AGENT]: { k1: 'cli-agent-secret-0123456789' } }), config, logger: testLogger, killSwitch: {} });
  });
  afterAll(async () => {
    await sdk?.close();
    await api?.close();
    await responder?.stop();
  });

  it('refuses to run without a token, and says how to give one', async () => {
    const r = await warden(['quarantine', AGENT, '--reason', 'test', '--url', url]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no API token: pass --token or set WARDEN_API_TOKEN.*\[api\.no-token\]/);
  });

  it('says how to start the responder when its API is unreachable', async () => {
    const r = await warden(['release', AGENT, '--url', 'http://127.0.0.1:9'], { WARDEN_API_TOKEN: tokens.responder });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot reach the responder API at http:\/\/127\.0\.0\.1:9: start the responder .*WARDEN_API_TOKENS/);
    expect(r.stderr).not.toContain(tokens.responder);
  });

  it('answers a wrong token with 401 and a viewer token with 403, never echoing the token', async () => {
    const wrong = await warden(['quarantine', AGENT, '--reason', 'test', '--url', url, '--token', 'not-the-right-token-at-all']);
    expect(wrong.stderr).toMatch(/401 the responder did not accept this token.*\[api\.unauthorized\]/);
    expect(wrong.stderr).not.toContain('not-the-right-token-at-all');
    const viewer = await warden(['quarantine', AGENT, '--reason', 'test', '--url', url], { WARDEN_API_TOKEN: tokens.viewer });
    expect(viewer.stderr).toMatch(/403 needs the responder role.*\[api\.forbidden\]/);
    expect(sdk.state().mode).toBe('ACTIVE');
  });

  it('quarantines and releases an agent with a responder token, audited under the token name', async () => {
    const q = await warden(['quarantine', AGENT, '--reason', 'investigating', '--ttl', '2h', '--url', url], { WARDEN_API_TOKEN: tokens.responder });
    expect(q.stderr).toBe('');
    expect(q.stdout).toMatch(new RegExp(`QUARANTINE +${AGENT} until .* by operator:rick: investigating`));
    await eventually(() => sdk.state().mode === 'QUARANTINED', 5000, 'the quarantine');

    const r = await warden(['release', AGENT, '--url', url, '--token', tokens.responder]);
    expect(r.stdout).toMatch(new RegExp(`RELEASE +${AGENT} by operator:rick`));
    await eventually(() => sdk.state().mode === 'ACTIVE', 5000, 'the release');
    const kinds = (await responder.audit.entries()).filter((e) => e.agentId === AGENT && e.actor === 'operator:rick').map((e) => e.kind);
    expect(kinds).toEqual(['command', 'release']);
  });

  it('refuses the fleet key on `warden quarantine`, and the kill switch without its phrase, both audited', async () => {
    const env = { WARDEN_API_TOKEN: tokens.responder };
    const star = await warden(['quarantine', FLEET, '--reason', 'oops', '--url', url], env);
    expect(star.stderr).toMatch(/400 refused: .*fleet key.*\(fleet-key\).*use `warden kill-switch`/);
    const bare = await warden(['kill-switch', '--reason', 'incident', '--url', url], env);
    expect(bare.stderr).toMatch(/400 refused: the fleet-wide kill switch needs the confirmation "quarantine-the-whole-fleet" \(fleet-unconfirmed\)/);
    const refusals = (await responder.audit.entries()).filter((e) => e.kind === 'refused' && e.agentId === FLEET).map((e) => e.details.code);
    expect(refusals).toEqual(['fleet-key', 'fleet-unconfirmed']);
    expect(sdk.state().mode).toBe('ACTIVE');
  });

  it('throws the fleet-wide kill switch with its phrase, and lifts it with `release "*"`', async () => {
    const env = { WARDEN_API_TOKEN: tokens.responder };
    const on = await warden(['kill-switch', '--reason', 'incident 42', '--confirm', 'quarantine-the-whole-fleet', '--url', url], env);
    expect(on.stdout).toMatch(/QUARANTINE +\* by operator:rick: incident 42/);
    await eventually(() => sdk.state().mode === 'QUARANTINED', 5000, 'the fleet-wide switch');
    const off = await warden(['release', FLEET, '--url', url], env);
    expect(off.stdout).toMatch(/RELEASE +\* by operator:rick/);
    await eventually(() => sdk.state().mode === 'ACTIVE', 5000, 'the fleet released');
  });
});
