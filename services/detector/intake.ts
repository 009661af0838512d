/**
 * Intake: one Kafka record in, either a decoded and verified event or a
 * dead-letter verdict with a reason. Checks run cheapest first: size, header
 * count and bytes, framing, schema, identity (agentId syntax, `*` reserved,
 * labels without control characters), key = agentId, clock, then the
 * signature (for a batch, on the verifier of verifyPool.ts: inline or on worker threads). A record whose signature fails is both dead-lettered and handed
 * to the engine marked unverified: it is counted in an aggregated alert for
 * the identity it claims, and creates no state and trains nothing.
 */
import { InvalidEventError, type ReasonCode } from '../../shared/errors/index.js';
import type { IHeaders } from '../../shared/kafka/index.js';
import { headerBytes } from '../../shared/kafka/deadLetter.js';
import { AvroCodec } from '../../shared/registry/codec.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { agentIdProblem, labelProblem } from '../../shared/identity/index.js';
import { attesterOf, PROVENANCE_ATTRIBUTE, verifySignature, type Keyring, type Verification } from '../../shared/signing/index.js';
import type { SignedRecord, Verifier } from './verifyPool.js';

export interface IntakeLimits {
  maxMessageBytes: number;
  /** More headers than this, or more header bytes (names + values), is a poison pill: DLQ, never decoded. */
  maxHeaders: number;
  maxHeaderBytes: number;
  /** Events stamped further ahead of the wall clock than this are refused. */
  maxFutureSkewMs: number;
  /** Events older than this are refused (a replay of old traffic belongs in `warden replay`). */
  maxEventAgeMs: number;
}

export const DEFAULT_LIMITS: IntakeLimits = { maxMessageBytes: 64 * 1024, maxHeaders: 16, maxHeaderBytes: 4096, maxFutureSkewMs: 5 * 60_000, maxEventAgeMs: 30 * 24 * 3600_000 };

export type IntakeResult =
  | { kind: 'event'; event: AgentActionEvent; verification: 'valid' }
  | { kind: 'dlq'; reason: ReasonCode; detail: string; event?: AgentActionEvent; verification?: Exclude<Verification, 'valid'> };

export interface RawRecord { key: Buffer | null; value: Buffer | null; headers?: IHeaders }

const SIGNATURE_REASONS: Record<Exclude<Verification, 'valid'>, ReasonCode> = {
  missing: 'event.signature-missing',
  invalid: 'event.signature-invalid',
  'unknown-key': 'event.unknown-key',
};

/** Loads the writer schemas a batch needs, so classify() stays synchronous per record. */
export async function preloadSchemas(codec: AvroCodec<AgentActionEvent>, records: RawRecord[]): Promise<void> {
  const ids = new Set<number>();
  for (const r of records) {
    try {
      ids.add(AvroCodec.schemaId(r.value));
    } catch {
      // classify() reports it
    }
  }
  for (const id of ids) {
    if (codec.isLoaded(id)) continue;
    try {
      await codec.load(id);
    } catch (err) {
      if (!(err instanceof InvalidEventError)) throw err; // registry down: fail the batch, retry it
    }
  }
}

export function classify(record: RawRecord, codec: AvroCodec<AgentActionEvent>, keyring: Keyring, limits: IntakeLimits, nowMs: number): IntakeResult {
  const checked = checkUnsigned(record, codec, limits, nowMs);
  if (checked.kind !== 'checked') return checked;
  return withSignature(checked.event, verifySignature(keyring, checked.event.agentId, record.value!, record.headers), record.headers);
}

/**
 * classify() for a batch, with the signatures checked by `verifier` (inline, or on worker threads while this
 * thread decodes). They are sent before decoding, under the agentId each record's key claims: a record only
 * reaches the signature check when its key equals its event's agentId, so the verdicts are classify()'s.
 */
export async function classifyBatch(records: readonly RawRecord[], codec: AvroCodec<AgentActionEvent>, verifier: Verifier, limits: IntakeLimits, nowMs: number): Promise<IntakeResult[]> {
  const signed: SignedRecord[] = [];
  const signedIndex = new Int32Array(records.length).fill(-1);
  records.forEach((r, i) => {
    // Records the cheap checks refuse anyway are not worth an HMAC.
    if (!r.value || !r.key || r.value.length > limits.maxMessageBytes) return;
    signedIndex[i] = signed.length;
    signed.push({ agentId: r.key.toString(), value: r.value, headers: r.headers });
  });
  const verifying = verifier.verify(signed);
  verifying.catch(() => undefined); // awaited below; this only keeps a rejection during decoding from counting as unhandled
  const checked = records.map((r) => checkUnsigned(r, codec, limits, nowMs));
  const verifications = await verifying;
  return checked.map((c, i) => (c.kind === 'checked' ? withSignature(c.event, verifications[signedIndex[i]!]!, records[i]!.headers) : c));
}

/** Every check but the signature, cheapest first: a dead-letter verdict, or the decoded event awaiting its signature's. */
function checkUnsigned(record: RawRecord, codec: AvroCodec<AgentActionEvent>, limits: IntakeLimits, nowMs: number): IntakeResult | { kind: 'checked'; event: AgentActionEvent } {
  const value = record.value;
  if (value && value.length > limits.maxMessageBytes) return dlq('event.oversized', `${value.length} bytes > ${limits.maxMessageBytes}`);
  const headerProblem = headersProblem(record.headers, limits);
  if (headerProblem) return dlq('event.oversized-headers', headerProblem);
  let event: AgentActionEvent;
  try {
    const id = AvroCodec.schemaId(value);
    if (!codec.isLoaded(id)) return dlq('event.unknown-schema', `schema id ${id} is not in the registry`);
    event = codec.decodeLoaded(value!);
  } catch (err) {
    if (err instanceof InvalidEventError) return dlq(err.reason, err.message);
    return dlq('event.undecodable', (err as Error).message.slice(0, 200));
  }
  const identity = agentIdProblem(event.agentId) ?? labelProblem('agentRole', event.agentRole) ?? labelProblem('tenantId', event.tenantId);
  if (identity) return dlq('event.bad-identity', identity);
  const key = record.key?.toString();
  if (key !== event.agentId) return dlq('event.invalid', `key ${JSON.stringify(key ?? null)} does not match agentId ${JSON.stringify(event.agentId)}`);
  if (!Number.isSafeInteger(event.timestamp) || event.timestamp - nowMs > limits.maxFutureSkewMs) {
    return dlq('event.timestamp-skew', `timestamp ${event.timestamp} is more than ${limits.maxFutureSkewMs} ms ahead of the clock`);
  }
  if (nowMs - event.timestamp > limits.maxEventAgeMs) return dlq('event.timestamp-skew', `timestamp ${event.timestamp} is more than ${limits.maxEventAgeMs} ms old`);
  return { kind: 'checked', event };
}

/** The verdict once the signature's is known. */
function withSignature(event: AgentActionEvent, verification: Verification, headers: IHeaders | undefined): IntakeResult {
  if (verification !== 'valid') {
    return { kind: 'dlq', reason: SIGNATURE_REASONS[verification], detail: `signature ${verification} for agent ${event.agentId}`, event, verification };
  }
  // An attested event must say, inside its signed bytes, who attested it; and only attested events may say so.
  const attester = attesterOf(headers) ?? undefined;
  const provenance = event.attributes?.[PROVENANCE_ATTRIBUTE];
  if (provenance !== attester) {
    return { kind: 'dlq', reason: 'event.signature-invalid', detail: `provenance ${JSON.stringify(provenance ?? null)} does not match the signer ${JSON.stringify(attester ?? event.agentId)}`, event, verification: 'invalid' };
  }
  return { kind: 'event', event, verification };
}

/** Too many headers, or too many header bytes, or null. */
export function headersProblem(headers: IHeaders | undefined, limits: Pick<IntakeLimits, 'maxHeaders' | 'maxHeaderBytes'>): string | null {
  const { count, bytes } = headerBytes(headers);
  if (count > limits.maxHeaders) return `${count} headers > ${limits.maxHeaders}`;
  if (bytes > limits.maxHeaderBytes) return `${bytes} header bytes > ${limits.maxHeaderBytes}`;
  return null;
}

function dlq(reason: ReasonCode, detail: string): IntakeResult {
  return { kind: 'dlq', reason, detail };
}
