/**
 * Ed25519 keys for isolation commands, as JWK sets (RFC 7517, OKP keys of
 * RFC 8037) with one extra member, `scope`:
 *
 *   {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "2026-12", "scope": "fleet", "x": "<base64url>"}]}
 *
 * `agent` keys may sign commands for any single agent; `fleet` keys may also
 * sign the fleet key `*`. A keyset may hold several kids at once, so keys
 * rotate without downtime: publish the new public key, move the responder to
 * it, retire the old one. The private set is the same with `d`; its keys never
 * leave CommandSigner (it prints, logs and serialises as key ids only).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { ConfigError } from '../errors/index.js';

export type CommandKeyScope = 'agent' | 'fleet';
export const FLEET_RECORD_KEY = '*';

export interface CommandPublicKey { kid: string; scope: CommandKeyScope; publicKey: KeyObject }
interface CommandPrivateKey { kid: string; scope: CommandKeyScope; privateKey: KeyObject }

/** One JWK as written to disk. `d` only in private sets. */
export type CommandJwk = { kty: 'OKP'; crv: 'Ed25519'; kid: string; scope: CommandKeyScope; x: string; d?: string };

const KID = /^[A-Za-z0-9._:-]{1,64}$/;
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, unpadded

/** The public keys a verifier trusts, by kid. */
export class CommandKeyset {
  readonly #keys = new Map<string, CommandPublicKey>();

  constructor(keys: readonly CommandPublicKey[]) {
    for (const k of keys) {
      if (this.#keys.has(k.kid)) throw new ConfigError([`command keyset: kid ${k.kid} is listed twice`]);
      this.#keys.set(k.kid, k);
    }
  }

  /** Parses a public JWK set; `source` names where it came from in errors. Private members are refused. */
  static fromJwks(data: unknown, source: string): CommandKeyset {
    return new CommandKeyset(parseJwks(data, source, 'public').map((k) => ({ kid: k.kid, scope: k.scope, publicKey: k.key })));
  }

  get(kid: string): CommandPublicKey | undefined {
    return this.#keys.get(kid);
  }

  kids(): string[] {
    return [...this.#keys.keys()];
  }

  toJwks(): { keys: CommandJwk[] } {
    return { keys: [...this.#keys.values()].map((k) => ({ ...publicJwk(k.publicKey), kid: k.kid, scope: k.scope })) };
  }
}

/** The responder's private keys. The last listed key of the needed scope signs (like the HMAC keyring). */
export class CommandSigner {
  readonly #keys: CommandPrivateKey[];

  constructor(keys: readonly CommandPrivateKey[]) {
    const seen = new Set<string>();
    for (const k of keys) {
      if (seen.has(k.kid)) throw new ConfigError([`command signing keys: kid ${k.kid} is listed twice`]);
      seen.add(k.kid);
    }
    if (keys.length === 0) throw new ConfigError(['command signing keys: the set holds no key']);
    this.#keys = [...keys];
  }

  static fromJwks(data: unknown, source: string): CommandSigner {
    return new CommandSigner(parseJwks(data, source, 'private').map((k) => ({ kid: k.kid, scope: k.scope, privateKey: k.key })));
  }

  /** A fresh key pair (for the dev keys and tests). */
  static generate(kid: string, scope: CommandKeyScope): CommandSigner {
    return new CommandSigner([{ kid, scope, privateKey: generateKeyPairSync('ed25519').privateKey }]);
  }

  /**
   * The key that signs a record under `recordKey`: the fleet key needs a fleet-scope key; a single agent's
   * command prefers an agent-scope key (least power), else a fleet-scope one. Undefined when none fits.
   */
  keyFor(recordKey: string): { kid: string; privateKey: KeyObject } | undefined {
    const of = (scope: CommandKeyScope) => this.#keys.filter((k) => k.scope === scope).at(-1);
    const k = recordKey === FLEET_RECORD_KEY ? of('fleet') : (of('agent') ?? of('fleet'));
    return k && { kid: k.kid, privateKey: k.privateKey };
  }

  /** The matching public keys, for verifiers in the same process (the demo, dev keys). */
  keyset(): CommandKeyset {
    return new CommandKeyset(this.#keys.map((k) => ({ kid: k.kid, scope: k.scope, publicKey: createPublicKey(k.privateKey) })));
  }

  /** The private JWK set, for writing the dev key file (mode 0600) only. */
  exportPrivateJwks(): { keys: CommandJwk[] } {
    return { keys: this.#keys.map((k) => ({ ...(k.privateKey.export({ format: 'jwk' }) as { x: string; d: string }), kty: 'OKP', crv: 'Ed25519', kid: k.kid, scope: k.scope })) };
  }

  kids(): string[] {
    return this.#keys.map((k) => k.kid);
  }

  toJSON(): { kids: string[] } {
    return { kids: this.kids() };
  }

  [inspect.custom](): string {
    return `CommandSigner(${this.kids().join(', ')}; private keys hidden)`;
  }
}

function publicJwk(key: KeyObject): { kty: 'OKP'; crv: 'Ed25519'; x: string } {
  const { x } = key.export({ format: 'jwk' }) as { x: string };
  return { kty: 'OKP', crv: 'Ed25519', x };
}

/**
 * Validates every entry and reports all problems at once. Messages name the entry and the member,
 * never a key's bytes: a private set's `d` must not reach a log through an error.
 */
function parseJwks(data: unknown, source: string, kind: 'public' | 'private'): { kid: string; scope: CommandKeyScope; key: KeyObject }[] {
  const list = (data as { keys?: unknown } | null)?.keys;
  if (typeof data !== 'object' || data === null || !Array.isArray(list)) throw new ConfigError([`${source}: expected a JWK set {"keys": [...]}`]);
  const issues: string[] = [];
  const out: { kid: string; scope: CommandKeyScope; key: KeyObject }[] = [];
  list.forEach((raw: unknown, i) => {
    const where = `${source}: keys[${i}]`;
    const j = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const problems: string[] = [];
    if (j.kty !== 'OKP' || j.crv !== 'Ed25519') problems.push('must be an Ed25519 key (kty OKP, crv Ed25519)');
    if (typeof j.kid !== 'string' || !KID.test(j.kid)) problems.push('kid must be 1-64 characters of A-Z a-z 0-9 . _ : -');
    if (j.scope !== 'agent' && j.scope !== 'fleet') problems.push('scope must be "agent" or "fleet"');
    if (typeof j.x !== 'string' || !B64URL_32.test(j.x)) problems.push('x must be a 32-byte base64url public key');
    if (kind === 'public' && 'd' in j) problems.push('holds a private key (d): give verifiers the public keys only');
    if (kind === 'private' && (typeof j.d !== 'string' || !B64URL_32.test(j.d))) problems.push('d must be a 32-byte base64url private key');
    if (problems.length > 0) {
      issues.push(...problems.map((p) => `${where} ${p}`));
      return;
    }
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: j.x as string, ...(kind === 'private' ? { d: j.d as string } : {}) };
    try {
      const key = kind === 'private' ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: jwk, format: 'jwk' });
      // A private JWK whose x is not its own public key would make the published keyset lie.
      if (kind === 'private' && publicJwk(createPublicKey(key)).x !== j.x) issues.push(`${where} x is not the public key of d`);
      else out.push({ kid: j.kid as string, scope: j.scope as CommandKeyScope, key });
    } catch {
      issues.push(`${where} is not a valid Ed25519 key`);
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}
