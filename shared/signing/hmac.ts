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
/**
 * Set by a Warden component that turns other telemetry into events (otel-ingest, mcp-gateway): the event is
 * signed with that component's key (keyring entry `attester:<name>`) instead of the agent's, and records the
 * same name in `attributes["warden.provenance"]`, inside the signed bytes. The component vouches that it
 * authenticated the agent it names; the agent's own key is never needed.
 */
export const HEADER_ATTESTER = 'warden-attester';
export const PROVENANCE_ATTRIBUTE = 'warden.provenance';
export const ATTESTER_PREFIX = 'attester:';
const ATTESTER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

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

/** Headers for a value attested by a Warden component (keyring entry `attester:<name>`). */
export function signAttestedHeaders(keyring: Keyring, attester: string, value: Buffer): Record<string, string> {
  if (!ATTESTER_NAME.test(attester)) throw new Error(`bad attester name ${JSON.stringify(attester)} (lower-case letters, digits, -)`);
  return { ...signHeaders(keyring, `${ATTESTER_PREFIX}${attester}`, value), [HEADER_ATTESTER]: attester };
}

/** The attester a record names, if any (null when the header is absent; undefined when it is malformed). */
export function attesterOf(headers: Record<string, HeaderValue> | undefined): string | null | undefined {
  const name = headerString(headers?.[HEADER_ATTESTER]);
  if (name === undefined) return null;
  return ATTESTER_NAME.test(name) ? name : undefined;
}

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** The first value of a Kafka header, as text. */
export function headerString(v: HeaderValue): string | undefined {
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

/**
 * Checks a message's signature with the key the kid names: the agent's own, or, when the record names an
 * attester, that component's (the caller then checks the event's recorded provenance).
 */
export function verifySignature(keyring: Keyring, agentId: string, value: Buffer, headers: Record<string, HeaderValue> | undefined): Verification {
  const kid = headerString(headers?.[HEADER_KID]);
  const sig = headerString(headers?.[HEADER_SIG]);
  if (!kid || !sig) return 'missing';
  const attester = attesterOf(headers);
  if (attester === undefined) return 'unknown-key';
  const secret = keyring.secret(attester === null ? agentId : `${ATTESTER_PREFIX}${attester}`, kid);
  if (!secret) return 'unknown-key';
  const expected = hmacSha256(secret, value);
  const given = Buffer.from(sig, 'base64');
  // Length differs only for garbage; the comparison itself is constant time.
  if (given.length !== expected.length) return 'invalid';
  return timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}
