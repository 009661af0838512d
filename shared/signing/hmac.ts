/**
 * HMAC-SHA256 signatures over the exact Kafka value bytes. The key id and the
 * signature travel in headers, so the value stays plain Confluent-framed Avro
 * that any consumer can decode. Verification compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Keyring } from './keyring.js';

export const HEADER_KID = 'warden-kid';
export const HEADER_SIG = 'warden-sig';
export const HEADER_ALG = 'warden-alg';
export const SIGNATURE_ALG = 'HMAC-SHA256';

export type Verification = 'valid' | 'missing' | 'invalid' | 'unknown-key';

export function hmacSha256(secret: Buffer, bytes: Buffer): Buffer {
  return createHmac('sha256', secret).update(bytes).digest();
}

/** Headers for a value signed with the agent's active key. */
export function signHeaders(keyring: Keyring, agentId: string, value: Buffer): Record<string, string> {
  const kid = keyring.activeKid(agentId);
  const secret = kid ? keyring.secret(agentId, kid) : undefined;
  if (!kid || !secret) throw new Error(`no signing key for agent ${agentId} in the keyring`);
  return { [HEADER_KID]: kid, [HEADER_SIG]: hmacSha256(secret, value).toString('base64'), [HEADER_ALG]: SIGNATURE_ALG };
}

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** The first value of a Kafka header, as text. */
export function headerString(v: HeaderValue): string | undefined {
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

/** Checks a message's signature against every key the agent's keyring holds for the given kid. */
export function verifySignature(keyring: Keyring, agentId: string, value: Buffer, headers: Record<string, HeaderValue> | undefined): Verification {
  const kid = headerString(headers?.[HEADER_KID]);
  const sig = headerString(headers?.[HEADER_SIG]);
  if (!kid || !sig) return 'missing';
  const secret = keyring.secret(agentId, kid);
  if (!secret) return 'unknown-key';
  const expected = hmacSha256(secret, value);
  const given = Buffer.from(sig, 'base64');
  // Length differs only for garbage; the comparison itself is constant time.
  if (given.length !== expected.length) return 'invalid';
  return timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}
