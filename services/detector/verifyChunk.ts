/**
 * The message between the detector and a verification worker: a chunk of records reduced to what
 * verifySignature reads (the agentId, the value bytes, and the three signature headers as text), and the
 * answer, one code per record. Values travel in one buffer whose memory is transferred, not copied again;
 * the worker runs the very same verifySignature on the same inputs, so its answers are the inline ones.
 */
import { HEADER_ATTESTER, HEADER_KID, HEADER_SIG, headerString, verifySignature, type HeaderValue, type Keyring, type Verification } from '../../shared/signing/index.js';

/** What verification needs of one record. The agentId is the one the record claims (intake.ts: its key). */
export interface SignedRecord {
  agentId: string;
  value: Buffer;
  headers?: Record<string, HeaderValue>;
}

export interface VerifyRequest {
  requestId: number;
  agentIds: string[];
  kids: (string | undefined)[];
  signatures: (string | undefined)[];
  attesters: (string | undefined)[];
  /** Every value, back to back; record i is bytes[valueEnds[i-1] .. valueEnds[i]). */
  bytes: Uint8Array;
  valueEnds: Uint32Array;
}

export type VerifyResponse = { requestId: number; codes: Uint8Array } | { requestId: number; error: string };

/** Index = code on the wire. */
export const VERIFICATIONS: readonly Verification[] = ['valid', 'missing', 'invalid', 'unknown-key'];
const CODE_OF = new Map(VERIFICATIONS.map((v, code) => [v, code]));

/** Packs records[start, end) into one request; `transfer` lists the memory the worker takes over. */
export function packRequest(requestId: number, records: readonly SignedRecord[], start: number, end: number): { request: VerifyRequest; transfer: ArrayBuffer[] } {
  const count = end - start;
  let total = 0;
  for (let i = start; i < end; i++) total += records[i]!.value.length;
  // Its own ArrayBuffer (not Node's shared pool), so it can be transferred.
  const bytes = new Uint8Array(new ArrayBuffer(total));
  const valueEnds = new Uint32Array(count);
  const agentIds = new Array<string>(count);
  const kids = new Array<string | undefined>(count);
  const signatures = new Array<string | undefined>(count);
  const attesters = new Array<string | undefined>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const record = records[start + i]!;
    bytes.set(record.value, at);
    at += record.value.length;
    valueEnds[i] = at;
    agentIds[i] = record.agentId;
    kids[i] = headerString(record.headers?.[HEADER_KID]);
    signatures[i] = headerString(record.headers?.[HEADER_SIG]);
    attesters[i] = headerString(record.headers?.[HEADER_ATTESTER]);
  }
  return { request: { requestId, agentIds, kids, signatures, attesters, bytes, valueEnds }, transfer: [bytes.buffer as ArrayBuffer, valueEnds.buffer as ArrayBuffer] };
}

/** The worker's side: verifies every record of a request, in order. */
export function verifyRequest(keyring: Keyring, request: VerifyRequest): Uint8Array {
  const { agentIds, kids, signatures, attesters, bytes, valueEnds } = request;
  const codes = new Uint8Array(agentIds.length);
  let from = 0;
  for (let i = 0; i < agentIds.length; i++) {
    const to = valueEnds[i]!;
    const value = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from);
    // The headers rebuilt from their text: verifySignature reads each through headerString, which returns the text as is.
    const headers = { [HEADER_KID]: kids[i], [HEADER_SIG]: signatures[i], [HEADER_ATTESTER]: attesters[i] };
    codes[i] = CODE_OF.get(verifySignature(keyring, agentIds[i]!, value, headers))!;
    from = to;
  }
  return codes;
}
