/**
 * What an isolation command's signature covers, and how the responder signs.
 * The signature is over a domain tag, the key id, the Kafka record key and the
 * exact value bytes, each length-prefixed: a valid command cannot be moved to
 * another agent's key (or to the fleet key `*`), nor passed off as any other
 * kind of signed message. The value stays plain Confluent-framed Avro.
 */
import { sign } from 'node:crypto';
import { WardenError } from '../errors/index.js';
import type { CommandSigner } from './commandKeys.js';

export const HEADER_CMD_KID = 'warden-cmd-kid';
export const HEADER_CMD_SIG = 'warden-cmd-sig';
export const COMMAND_SIGNATURE_ALG = 'Ed25519';

const DOMAIN = Buffer.from('agent-warden/quarantine-command/v1\0', 'utf8');

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** The bytes that are signed and verified (the value last, so it needs no prefix). */
export function commandSignedBytes(kid: string, recordKey: string, value: Buffer): Buffer {
  return Buffer.concat([DOMAIN, lengthPrefixed(kid), lengthPrefixed(recordKey), value]);
}

/** Headers for a command record under `recordKey`, signed with the signer's key for that key's scope. */
export function signCommandRecord(signer: CommandSigner, recordKey: string, value: Buffer): Record<string, string> {
  const key = signer.keyFor(recordKey);
  if (!key) {
    throw new WardenError('config.invalid', `no command signing key may sign records under key ${recordKey}: fleet commands (*) need a key with scope "fleet"`);
  }
  const signature = sign(null, commandSignedBytes(key.kid, recordKey, value), key.privateKey);
  return { [HEADER_CMD_KID]: key.kid, [HEADER_CMD_SIG]: signature.toString('base64') };
}
