import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors/index.js';
import { HEADER_KID, HEADER_SIG, Keyring, hmacSha256, signHeaders, verifySignature } from '../../../shared/signing/index.js';

// RFC 4231 HMAC-SHA256 test cases 1 and 2: computed outside this code base.
const RFC4231_1 = { key: Buffer.alloc(20, 0x0b), data: Buffer.from('Hi There'), mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' };
const RFC4231_2 = { key: Buffer.from('Jefe'), data: Buffer.from('what do ya want for nothing?'), mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' };

describe('HMAC-SHA256 signing', () => {
  it('matches the RFC 4231 known answers', () => {
    expect(hmacSha256(RFC4231_1.key, RFC4231_1.data).toString('hex')).toBe(RFC4231_1.mac);
    expect(hmacSha256(RFC4231_2.key, RFC4231_2.data).toString('hex')).toBe(RFC4231_2.mac);
  });

  it('signs the exact value bytes with the active kid, in headers', () => {
    const keyring = new Keyring({ 'agent-1': { k1: '\x0b'.repeat(20) } });
    const headers = signHeaders(keyring, 'agent-1', RFC4231_1.data);
    expect(headers[HEADER_KID]).toBe('k1');
    expect(Buffer.from(headers[HEADER_SIG]!, 'base64').toString('hex')).toBe(RFC4231_1.mac);
  });

  it('verifies: valid, tampered, missing, unknown key id, other agent', () => {
    const keyring = new Keyring({ a: { old: 'a'.repeat(32), new: 'b'.repeat(32) }, b: { k: 'c'.repeat(32) } });
    const value = Buffer.from('payload');
    const headers = signHeaders(keyring, 'a', value);
    expect(headers[HEADER_KID]).toBe('new'); // the last listed key signs
    expect(verifySignature(keyring, 'a', value, headers)).toBe('valid');
    expect(verifySignature(keyring, 'a', Buffer.from('payloaD'), headers)).toBe('invalid');
    expect(verifySignature(keyring, 'a', value, {})).toBe('missing');
    expect(verifySignature(keyring, 'a', value, { ...headers, [HEADER_KID]: 'nope' })).toBe('unknown-key');
    // b's key cannot vouch for a message claiming to be a
    expect(verifySignature(keyring, 'b', value, headers)).toBe('unknown-key');
    expect(verifySignature(keyring, 'a', value, { ...headers, [HEADER_SIG]: 'AAAA' })).toBe('invalid');
  });

  it('accepts the old key during a rotation', () => {
    const before = new Keyring({ a: { old: 'a'.repeat(32) } });
    const during = new Keyring({ a: { old: 'a'.repeat(32), new: 'b'.repeat(32) } });
    const value = Buffer.from('x');
    expect(verifySignature(during, 'a', value, signHeaders(before, 'a', value))).toBe('valid');
  });

  it('never shows a secret when printed, serialised or rejected', () => {
    const secret = 'super-secret-value-123456';
    const keyring = new Keyring({ a: { k1: secret } });
    expect(JSON.stringify(keyring)).not.toContain(secret);
    expect(inspect(keyring)).not.toContain(secret);
    try {
      Keyring.load({ env: { WARDEN_KEYRING: `{"a": {"k1": "${secret}"` } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).not.toContain(secret);
    }
    expect(() => new Keyring({ a: { k1: 'short' } })).toThrow(/at least 16 bytes/);
  });
});
