/**
 * Verifies isolation commands read from agent.quarantine. Standalone (node:crypto
 * and the keyset only) so the SDK kill switch and the MCP gateway share it.
 *
 * A record is accepted only if its signature verifies with a known kid over
 * (kid, record key, value); a record under the fleet key `*` also needs a
 * fleet-scope kid; and the decoded command names the agent its record key
 * names. "Not older than the state held" is the caller's part: it alone knows
 * that state (see shared/telemetry/killSwitchState.ts).
 */
import { verify } from 'node:crypto';
import { FLEET_RECORD_KEY, type CommandKeyScope, type CommandKeyset } from './commandKeys.js';
import { HEADER_CMD_KID, HEADER_CMD_SIG, commandSignedBytes } from './commandRecord.js';
import { headerString, type HeaderValue } from './hmac.js';

/** Why a command was ignored; the same words are metric labels and stats keys. */
export type CommandRejection = 'unsigned' | 'bad-signature' | 'unknown-key' | 'key-mismatch' | 'stale' | 'undecodable';
export const COMMAND_REJECTIONS: readonly CommandRejection[] = ['unsigned', 'bad-signature', 'unknown-key', 'key-mismatch', 'stale', 'undecodable'];

export interface CommandRecord { key: string; value: Buffer | null; headers?: Record<string, HeaderValue> }

export type Rejected = { ok: false; reason: CommandRejection; detail: string };
export type SignatureCheck = { ok: true; kid: string; scope: CommandKeyScope } | Rejected;

const ED25519_SIGNATURE_BYTES = 64;
const COMMAND_TYPES = new Set(['QUARANTINE', 'THROTTLE', 'RELEASE']);

/** Checks the signature and the kid's scope for the record key; decodes nothing. */
export function verifyCommandSignature(keyset: CommandKeyset, record: CommandRecord): SignatureCheck {
  // A tombstone cannot carry a signature: it is input nobody vouched for.
  if (record.value === null) return { ok: false, reason: 'unsigned', detail: 'tombstone (null value)' };
  const kid = headerString(record.headers?.[HEADER_CMD_KID]);
  const sig = headerString(record.headers?.[HEADER_CMD_SIG]);
  if (!kid || !sig) return { ok: false, reason: 'unsigned', detail: `no ${HEADER_CMD_KID}/${HEADER_CMD_SIG} headers` };
  const known = keyset.get(kid);
  if (!known) return { ok: false, reason: 'unknown-key', detail: `kid ${kid.slice(0, 64)} is not in the command keyset` };
  const signature = Buffer.from(sig, 'base64');
  let valid = false;
  if (signature.length === ED25519_SIGNATURE_BYTES) {
    try {
      valid = verify(null, commandSignedBytes(kid, record.key, record.value), known.publicKey, signature);
    } catch {
      valid = false;
    }
  }
  if (!valid) return { ok: false, reason: 'bad-signature', detail: `signature does not verify with kid ${kid} for this record key and value` };
  if (record.key === FLEET_RECORD_KEY && known.scope !== 'fleet') {
    return { ok: false, reason: 'key-mismatch', detail: `kid ${kid} has scope ${known.scope}; records under the fleet key need a fleet-scope key` };
  }
  return { ok: true, kid, scope: known.scope };
}

/** The least a command must be for its fields to be trusted: the shape the Avro schema gives. */
interface CommandShape { agentId: string; type: string; issuedAt: number }

function isCommand(v: unknown): v is CommandShape {
  const c = v as Partial<CommandShape> | null;
  return typeof c === 'object' && c !== null && typeof c.agentId === 'string' && typeof c.type === 'string' && COMMAND_TYPES.has(c.type) && typeof c.issuedAt === 'number';
}

/**
 * The whole check: signature and scope, then decode, then the command's agentId against the record key.
 * The signature is checked first, so unsigned garbage counts as unsigned, and nothing unverified is decoded.
 */
export async function acceptCommand<C extends CommandShape>(
  keyset: CommandKeyset,
  record: CommandRecord,
  decode: (value: Buffer) => Promise<unknown> | unknown,
): Promise<{ ok: true; command: C; kid: string; scope: CommandKeyScope } | Rejected> {
  const check = verifyCommandSignature(keyset, record);
  if (!check.ok) return check;
  let decoded: unknown;
  try {
    decoded = await decode(record.value!);
  } catch (err) {
    return { ok: false, reason: 'undecodable', detail: `signed value does not decode: ${(err as Error).message.slice(0, 200)}` };
  }
  if (!isCommand(decoded)) return { ok: false, reason: 'undecodable', detail: 'signed value is not a QuarantineCommand' };
  if (decoded.agentId !== record.key) {
    return { ok: false, reason: 'key-mismatch', detail: `command for agent ${decoded.agentId.slice(0, 128)} under record key ${record.key.slice(0, 128)}` };
  }
  return { ok: true, command: decoded as C, kid: check.kid, scope: check.scope };
}
