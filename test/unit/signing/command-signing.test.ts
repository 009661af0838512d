import { createPrivateKey, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../shared/config/index.js';
import { ConfigError, WardenError } from '../../../shared/errors/index.js';
import { createLogger } from '../../../shared/logging/index.js';
import {
  CommandKeyset, CommandSigner, DEV_COMMAND_KEYS_FILE, HEADER_CMD_KID, HEADER_CMD_SIG, acceptCommand, commandSignedBytes,
  loadCommandKeyset, loadCommandSigner, signCommandRecord, verifyCommandSignature,
} from '../../../shared/signing/index.js';

const value = Buffer.from('\0\0\0\0\x01avro bytes of a command');
const fleet = CommandSigner.generate('fleet-1', 'fleet');
const agent = CommandSigner.generate('agent-1', 'agent');
const keyset = new CommandKeyset([...fleet.keyset().toJwks().keys, ...agent.keyset().toJwks().keys].map((k) => CommandKeyset.fromJwks({ keys: [k] }, 'test').get(k.kid)!));

const b64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

describe('Ed25519 command signatures', () => {
  it('matches the RFC 8032 test vector 1 (the primitive and the JWK import are right)', () => {
    const d = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
    const x = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
    const signer = CommandSigner.fromJwks({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'rfc', scope: 'fleet', x: b64url(x), d: b64url(d) }] }, 'rfc8032');
    const key = createPrivateKey({ key: signer.exportPrivateJwks().keys[0]!, format: 'jwk' });
    expect(sign(null, Buffer.alloc(0), key).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(signer.keyset().toJwks().keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: b64url(x), kid: 'rfc', scope: 'fleet' });
  });

  it('verifies what it signs, with the kid in a header', () => {
    const headers = signCommandRecord(agent, 'billing-01', value);
    expect(headers[HEADER_CMD_KID]).toBe('agent-1');
    expect(Buffer.from(headers[HEADER_CMD_SIG]!, 'base64')).toHaveLength(64);
    expect(verifyCommandSignature(keyset, { key: 'billing-01', value, headers })).toEqual({ ok: true, kid: 'agent-1', scope: 'agent' });
  });

  it('refuses a tampered value, a moved key, a swapped kid and a garbage signature', () => {
    const headers = signCommandRecord(fleet, 'billing-01', value);
    const tampered = Buffer.from(value);
    tampered[tampered.length - 1]! ^= 1;
    const reasons = [
      verifyCommandSignature(keyset, { key: 'billing-01', value: tampered, headers }),
      verifyCommandSignature(keyset, { key: 'billing-02', value, headers }), // moved to another agent
      verifyCommandSignature(keyset, { key: '*', value, headers }), // moved to the fleet key
      verifyCommandSignature(keyset, { key: 'billing-01', value, headers: { ...headers, [HEADER_CMD_KID]: 'agent-1' } }),
      verifyCommandSignature(keyset, { key: 'billing-01', value, headers: { ...headers, [HEADER_CMD_SIG]: 'AAAA' } }),
      verifyCommandSignature(keyset, { key: 'billing-01', value, headers: { ...headers, [HEADER_CMD_SIG]: '%%%not base64%%%' } }),
    ].map((r) => (r.ok ? 'ok' : r.reason));
    expect(reasons).toEqual(['bad-signature', 'bad-signature', 'bad-signature', 'bad-signature', 'bad-signature', 'bad-signature']);
  });

  it('says unsigned for no headers or a tombstone, unknown-key for a kid it does not know', () => {
    const rogue = CommandSigner.generate('rogue', 'fleet');
    const reason = (r: ReturnType<typeof verifyCommandSignature>) => (r.ok ? 'ok' : r.reason);
    expect(reason(verifyCommandSignature(keyset, { key: 'a', value }))).toBe('unsigned');
    expect(reason(verifyCommandSignature(keyset, { key: 'a', value, headers: { [HEADER_CMD_KID]: 'agent-1' } }))).toBe('unsigned');
    expect(reason(verifyCommandSignature(keyset, { key: 'a', value: null, headers: signCommandRecord(agent, 'a', value) }))).toBe('unsigned');
    expect(reason(verifyCommandSignature(keyset, { key: 'a', value, headers: signCommandRecord(rogue, 'a', value) }))).toBe('unknown-key');
    // Headers as kafkajs delivers them: Buffers, possibly repeated.
    const h = signCommandRecord(agent, 'a', value);
    expect(reason(verifyCommandSignature(keyset, { key: 'a', value, headers: { [HEADER_CMD_KID]: [Buffer.from(h[HEADER_CMD_KID]!)], [HEADER_CMD_SIG]: Buffer.from(h[HEADER_CMD_SIG]!) } }))).toBe('ok');
  });

  it('rotation: the old and the new kid both verify; the signer uses the last listed; a retired kid is unknown', () => {
    const old = CommandSigner.generate('2026-11', 'fleet');
    const next = CommandSigner.generate('2026-12', 'fleet');
    const both = CommandSigner.fromJwks({ keys: [...old.exportPrivateJwks().keys, ...next.exportPrivateJwks().keys] }, 'rotation');
    const during = both.keyset();
    const after = next.keyset();
    const byOld = signCommandRecord(old, 'a', value);
    const byBoth = signCommandRecord(both, 'a', value);
    expect(byBoth[HEADER_CMD_KID]).toBe('2026-12');
    expect(verifyCommandSignature(during, { key: 'a', value, headers: byOld }).ok).toBe(true);
    expect(verifyCommandSignature(during, { key: 'a', value, headers: byBoth }).ok).toBe(true);
    expect(verifyCommandSignature(after, { key: 'a', value, headers: byBoth }).ok).toBe(true);
    expect(verifyCommandSignature(after, { key: 'a', value, headers: byOld })).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('fleet scope: only a fleet-scope key signs or verifies under the fleet key *', () => {
    expect(() => signCommandRecord(agent, '*', value)).toThrow(WardenError);
    expect(() => signCommandRecord(agent, '*', value)).toThrow(/scope "fleet"/);
    // An agent-scope key holder signing under * by hand: the signature is good, the scope is not.
    const forged = { [HEADER_CMD_KID]: 'agent-1', [HEADER_CMD_SIG]: sign(null, commandSignedBytes('agent-1', '*', value), createPrivateKey({ key: agent.exportPrivateJwks().keys[0]!, format: 'jwk' })).toString('base64') };
    expect(verifyCommandSignature(keyset, { key: '*', value, headers: forged })).toMatchObject({ ok: false, reason: 'key-mismatch' });
    expect(verifyCommandSignature(keyset, { key: '*', value, headers: signCommandRecord(fleet, '*', value) })).toMatchObject({ ok: true, scope: 'fleet' });
    // A responder holding both signs single agents with the agent key (least power), the fleet with the fleet key.
    const both = CommandSigner.fromJwks({ keys: [...fleet.exportPrivateJwks().keys, ...agent.exportPrivateJwks().keys] }, 'both');
    expect(signCommandRecord(both, 'billing-01', value)[HEADER_CMD_KID]).toBe('agent-1');
    expect(signCommandRecord(both, '*', value)[HEADER_CMD_KID]).toBe('fleet-1');
  });
});

describe('accepting a command record', () => {
  const cmd = (agentId: string) => ({ agentId, type: 'RELEASE', issuedAt: 1 });
  const signed = (key: string) => ({ key, value, headers: signCommandRecord(fleet, key, value) });

  it('accepts a command whose agentId is its record key, and refuses one naming another agent', async () => {
    expect(await acceptCommand(keyset, signed('billing-01'), () => cmd('billing-01'))).toMatchObject({ ok: true, command: cmd('billing-01'), kid: 'fleet-1' });
    expect(await acceptCommand(keyset, signed('*'), () => cmd('*'))).toMatchObject({ ok: true });
    expect(await acceptCommand(keyset, signed('billing-01'), () => cmd('other-agent'))).toMatchObject({ ok: false, reason: 'key-mismatch' });
    expect(await acceptCommand(keyset, signed('*'), () => cmd('billing-01'))).toMatchObject({ ok: false, reason: 'key-mismatch' });
  });

  it('says undecodable for a signed value that does not decode or is not a command, and never decodes unsigned input', async () => {
    expect(await acceptCommand(keyset, signed('a'), () => Promise.reject(new Error('unknown magic byte')))).toMatchObject({ ok: false, reason: 'undecodable' });
    expect(await acceptCommand(keyset, signed('a'), () => ({ agentId: 'a', action: 'data.read' }))).toMatchObject({ ok: false, reason: 'undecodable' });
    let decoded = 0;
    expect(await acceptCommand(keyset, { key: 'a', value }, () => ++decoded)).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(decoded).toBe(0);
  });
});

const priv = fleet.exportPrivateJwks().keys[0]!;

describe('command keys as JWK sets', () => {
  it('never shows a private key: JSON, inspect, and errors name kids only', () => {
    expect(JSON.stringify(fleet)).toBe('{"kids":["fleet-1"]}');
    expect(inspect(fleet)).not.toContain(priv.d);
    expect(JSON.stringify({ wrapped: fleet })).not.toContain(priv.d);
    const other = CommandSigner.generate('x', 'agent').exportPrivateJwks().keys[0]!;
    try {
      CommandSigner.fromJwks({ keys: [{ ...priv, x: other.x }] }, 'keys.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/keys\.json: keys\[0\] x is not the public key of d/);
      expect((err as Error).message).not.toContain(priv.d);
    }
  });

  it('reports every bad entry at once', () => {
    const bad = { keys: [{ ...priv }, { kty: 'RSA', kid: 'has space', scope: 'root', x: 'short' }, { ...fleet.keyset().toJwks().keys[0]! }] };
    try {
      CommandKeyset.fromJwks(bad, 'public.json');
      expect.unreachable();
    } catch (err) {
      const issues = (err as ConfigError).issues;
      expect(issues).toContain('public.json: keys[0] holds a private key (d): give verifiers the public keys only');
      expect(issues.filter((i) => i.startsWith('public.json: keys[1]'))).toHaveLength(4);
      expect(issues.some((i) => i.startsWith('public.json: keys[2]'))).toBe(false);
    }
    expect(() => CommandKeyset.fromJwks({ keys: [fleet.keyset().toJwks().keys[0], fleet.keyset().toJwks().keys[0]] }, 'dup')).toThrow(/listed twice/);
    expect(() => CommandKeyset.fromJwks([], 'arr')).toThrow(/expected a JWK set/);
  });
});

describe('where command keys come from', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'warden-cmdkeys-'));
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('test', { level: 'info', destination: new Writable({ write: (c, _e, cb) => { lines.push(JSON.parse(c.toString())); cb(); } }) });
    return { lines, logger };
  };
  const config = (stackDir: string, commandSigning: Record<string, string> = {}) => loadConfig({ env: {}, useStackFile: false, overrides: { stack: { dir: stackDir }, commandSigning } });

  it('with no key configured, generates one dev keypair (mode 0600), says so, and both sides use it', () => {
    const d = dir();
    const { lines, logger } = capture();
    const signer = loadCommandSigner(config(d), logger, {});
    const verifier = loadCommandKeyset(config(d), logger, {});
    const file = join(d, DEV_COMMAND_KEYS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(d)).toEqual([DEV_COMMAND_KEYS_FILE]); // no temporary file left behind
    expect(verifyCommandSignature(verifier, { key: '*', value, headers: signCommandRecord(signer, '*', value) }).ok).toBe(true);
    expect(lines.filter((l) => /dev keypair/.test(String(l.msg)))).toHaveLength(1); // once per process
    expect(lines[0]).toMatchObject({ generated: true, file });
    expect(JSON.stringify(lines)).not.toContain(JSON.parse(readFileSync(file, 'utf8')).keys[0].d);
  });

  it('with devKeys off (WARDEN_COMMAND_DEV_KEYS=false) and no key configured, both sides fail at start and nothing is generated', () => {
    const d = dir();
    const { logger } = capture();
    const off = loadConfig({ env: { WARDEN_COMMAND_DEV_KEYS: 'false', WARDEN_STACK_DIR: d }, useStackFile: false });
    expect(off.commandSigning.devKeys).toBe(false);
    expect(() => loadCommandKeyset(off, logger, {})).toThrow(/devKeys is false/);
    expect(() => loadCommandSigner(off, logger, {})).toThrow(ConfigError);
    expect(existsSync(join(d, DEV_COMMAND_KEYS_FILE))).toBe(false);
  });

  it('a second process finds the existing dev key instead of making another', async () => {
    const d = dir();
    const { logger } = capture();
    const first = loadCommandSigner(config(d), logger, {});
    // A fresh module instance stands in for another process (the per-process cache is empty there).
    vi.resetModules();
    const fresh = await import('../../../shared/signing/commandKeyConfig.js');
    const second = capture();
    expect(fresh.loadCommandSigner(config(d), second.logger, {}).kids()).toEqual(first.kids());
    expect(second.lines).toMatchObject([{ generated: false }]);
  });

  it('with keys configured nothing is generated: a responder with only public keys refuses to start', () => {
    const d = dir();
    const { logger } = capture();
    const publicKeys = JSON.stringify(fleet.keyset().toJwks());
    expect(() => loadCommandSigner(config(d, { publicKeys }), logger, {})).toThrow(/public keys are configured but no signing key/);
    expect(loadCommandKeyset(config(d, { publicKeys }), logger, {}).kids()).toEqual(['fleet-1']);
    expect(existsSync(join(d, DEV_COMMAND_KEYS_FILE))).toBe(false);
  });

  it('reads signing keys from WARDEN_COMMAND_SIGNING_KEYS and derives the verifier keys from them', () => {
    const d = dir();
    const { logger } = capture();
    const env = { WARDEN_COMMAND_SIGNING_KEYS: JSON.stringify(agent.exportPrivateJwks()) };
    expect(loadCommandSigner(config(d), logger, env).kids()).toEqual(['agent-1']);
    expect(loadCommandKeyset(config(d), logger, env).get('agent-1')?.scope).toBe('agent');
    expect(existsSync(join(d, DEV_COMMAND_KEYS_FILE))).toBe(false);
    try {
      loadCommandSigner(config(d), logger, { WARDEN_COMMAND_SIGNING_KEYS: `{"keys": [${JSON.stringify(priv)}` });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/WARDEN_COMMAND_SIGNING_KEYS is not valid JSON/);
      expect((err as Error).message).not.toContain(priv.d);
    }
  });
});
