/**
 * Agent snapshots as bytes: a compact, versioned binary encoding of the
 * (named-field) snapshot tree, for Redis. Layout: magic "AW", format
 * version, then one value. Values are tagged; integers are zigzag varints,
 * learned floats (rounded to 4 decimals everywhere, robust.ts roundSig) are
 * varints of value x 1e4, other floats float64; a numeric array is one block
 * in the cheapest of those three encodings; object keys and repeated
 * strings are written once and then referenced by index. An unknown magic or
 * version fails loudly (SnapshotVersionError): no guessing at old bytes.
 *
 * Version 2 deflates the value's bytes (raw deflate, level 6): a warm agent's
 * snapshot is 8.1 KB as version 1 and 3.0 KB deflated (bench/memory.ts
 * fleet), for ~0.2 ms per agent per checkpoint on top of ~0.7 ms encoding.
 * Version 3 deflates with a preset dictionary (snapshotDictionary.ts: the
 * plain encoding of one agent of the labelled scenario, not of the benchmark
 * fleet), so the key names, tags and the usual shape of a series cost back-
 * references instead of literals: on the bench/memory.ts fleet a warm agent's
 * snapshot went from ~3.06 KB to ~2.14 KB (measured 2026-12-02 on 200 agents;
 * the dictionary was not built from that fleet). The dictionary is part of
 * the format: changing it is a new version. Versions 1 and 2 (saved before)
 * still decode.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SnapshotVersionError } from '../baseline/seriesCodec.js';
import type { Json } from '../types.js';
import { SNAPSHOT_DICTIONARY_V3 } from './snapshotDictionary.js';

export const SNAPSHOT_BYTES_VERSION = 3;
/** Version 1: the value's bytes as they are (still read). */
const PLAIN_VERSION = 1;
/** Version 2: deflated without a dictionary (still read). */
const DEFLATED_VERSION = 2;
/** No agent's state comes near this; a tampered stream that inflates past it is refused, not allocated. */
const MAX_INFLATED_BYTES = 64 * 2 ** 20;
const MAGIC0 = 0x41; // 'A'
const MAGIC1 = 0x57; // 'W'

const T_NULL = 0, T_FALSE = 1, T_TRUE = 2, T_INT = 3, T_DEC4 = 4, T_F64 = 5, T_STR = 6, T_STRREF = 7, T_ARR = 8, T_OBJ = 9, T_NUMS = 10;
const NUMS_INT = 0, NUMS_DEC4 = 1, NUMS_F64 = 2;
const MAX_VARINT = 2 ** 52;

class Writer {
  buf = new Uint8Array(1024);
  len = 0;
  readonly strings = new Map<string, number>();
  private readonly f64 = new Float64Array(1);
  private readonly f64b = new Uint8Array(this.f64.buffer);

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  /** Unsigned varint (up to 2^52, exact in doubles: no 32-bit bit operations). */
  uvar(n: number): void {
    this.room(8);
    while (n >= 128) {
      this.buf[this.len++] = (n % 128) + 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }
  svar(n: number): void {
    this.uvar(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  float(v: number): void {
    this.f64[0] = v;
    this.room(8);
    this.buf.set(this.f64b, this.len);
    this.len += 8;
  }
  string(s: string): void {
    const ref = this.strings.get(s);
    if (ref !== undefined) {
      this.byte(T_STRREF);
      this.uvar(ref);
      return;
    }
    this.strings.set(s, this.strings.size);
    const bytes = new TextEncoder().encode(s);
    this.byte(T_STR);
    this.uvar(bytes.length);
    this.room(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
}

const isInt = (v: number): boolean => Number.isInteger(v) && Math.abs(v) < MAX_VARINT;
const isDec4 = (v: number): boolean => Number.isFinite(v) && Math.abs(v) < 1e11 && Math.round(v * 1e4) / 1e4 === v;

function numberKind(v: number): number {
  return isInt(v) ? NUMS_INT : isDec4(v) ? NUMS_DEC4 : NUMS_F64;
}

function writeNumber(w: Writer, v: number): void {
  const k = numberKind(v);
  if (k === NUMS_INT) {
    w.byte(T_INT);
    w.svar(v);
  } else if (k === NUMS_DEC4) {
    w.byte(T_DEC4);
    w.svar(Math.round(v * 1e4));
  } else {
    w.byte(T_F64);
    w.float(v);
  }
}

function writeValue(w: Writer, v: Json): void {
  if (v === null) return w.byte(T_NULL);
  if (v === true) return w.byte(T_TRUE);
  if (v === false) return w.byte(T_FALSE);
  if (typeof v === 'number') return writeNumber(w, v);
  if (typeof v === 'string') return w.string(v);
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => typeof x === 'number')) {
      const nums = v as number[];
      // One encoding for the block: every element must fit it (a large integer does not fit x 1e4).
      const kind = nums.every(isInt) ? NUMS_INT : nums.every(isDec4) ? NUMS_DEC4 : NUMS_F64;
      w.byte(T_NUMS);
      w.byte(kind);
      w.uvar(nums.length);
      for (const x of nums) {
        if (kind === NUMS_INT) w.svar(x);
        else if (kind === NUMS_DEC4) w.svar(Math.round(x * 1e4));
        else w.float(x);
      }
      return;
    }
    w.byte(T_ARR);
    w.uvar(v.length);
    for (const x of v) writeValue(w, x);
    return;
  }
  const keys = Object.keys(v);
  w.byte(T_OBJ);
  w.uvar(keys.length);
  for (const k of keys) {
    w.string(k);
    writeValue(w, v[k]!);
  }
}

export class SnapshotBytesError extends Error {
  readonly reason = 'snapshot-corrupt';
  constructor(detail: string) {
    super(`agent snapshot bytes are corrupt: ${detail}`);
    this.name = 'SnapshotBytesError';
  }
}

class Reader {
  pos = 0;
  readonly strings: string[] = [];
  private readonly f64 = new Float64Array(1);
  private readonly f64b = new Uint8Array(this.f64.buffer);
  constructor(readonly buf: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new SnapshotBytesError('truncated');
    return this.buf[this.pos++]!;
  }
  uvar(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b % 128) * scale;
      if (b < 128) return n;
      scale *= 128;
      if (scale > MAX_VARINT * 128) throw new SnapshotBytesError('varint too long');
    }
  }
  svar(): number {
    const u = this.uvar();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  float(): number {
    if (this.pos + 8 > this.buf.length) throw new SnapshotBytesError('truncated');
    this.f64b.set(this.buf.subarray(this.pos, this.pos + 8));
    this.pos += 8;
    return this.f64[0]!;
  }
  string(tag: number): string {
    if (tag === T_STRREF) {
      const s = this.strings[this.uvar()];
      if (s === undefined) throw new SnapshotBytesError('bad string reference');
      return s;
    }
    const n = this.uvar();
    if (this.pos + n > this.buf.length) throw new SnapshotBytesError('truncated');
    const s = new TextDecoder().decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    this.strings.push(s);
    return s;
  }
}

function readValue(r: Reader, depth: number): Json {
  if (depth > 64) throw new SnapshotBytesError('nested too deep');
  const tag = r.byte();
  switch (tag) {
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_INT:
      return r.svar();
    case T_DEC4:
      return r.svar() / 1e4;
    case T_F64:
      return r.float();
    case T_STR:
    case T_STRREF:
      return r.string(tag);
    case T_NUMS: {
      const kind = r.byte();
      const n = r.uvar();
      if (n > r.buf.length) throw new SnapshotBytesError('array longer than the input');
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) out[i] = kind === NUMS_INT ? r.svar() : kind === NUMS_DEC4 ? r.svar() / 1e4 : r.float();
      return out;
    }
    case T_ARR: {
      const n = r.uvar();
      if (n > r.buf.length) throw new SnapshotBytesError('array longer than the input');
      const out: Json[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(r, depth + 1));
      return out;
    }
    case T_OBJ: {
      const n = r.uvar();
      // Keys come from our own encoder, but bytes may be tampered with: no prototype to pollute.
      const out = Object.create(null) as { [key: string]: Json };
      for (let i = 0; i < n; i++) {
        const kt = r.byte();
        if (kt !== T_STR && kt !== T_STRREF) throw new SnapshotBytesError('object key is not a string');
        const key = r.string(kt);
        out[key] = readValue(r, depth + 1);
      }
      return out;
    }
    default:
      throw new SnapshotBytesError(`unknown tag ${tag}`);
  }
}

/** The value's bytes before compression (the body of a version 1 snapshot; the dictionary generator reads them). */
export function encodePlain(value: Json): Uint8Array {
  const w = new Writer();
  writeValue(w, value);
  return w.buf.subarray(0, w.len);
}

export function encodeSnapshot(value: Json): Uint8Array {
  const packed = deflateRawSync(encodePlain(value), { level: 6, dictionary: SNAPSHOT_DICTIONARY_V3 });
  const out = new Uint8Array(3 + packed.length);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = SNAPSHOT_BYTES_VERSION; // a one-byte varint
  out.set(packed, 3);
  return out;
}

/** The value's bytes of a version 2 or 3 snapshot; a truncated, padded or corrupt stream is a SnapshotBytesError. */
function inflateBody(packed: Uint8Array, version: number): Uint8Array {
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    const dictionary = version === DEFLATED_VERSION ? {} : { dictionary: SNAPSHOT_DICTIONARY_V3 };
    result = inflateRawSync(packed, { info: true, maxOutputLength: MAX_INFLATED_BYTES, ...dictionary }) as unknown as typeof result;
  } catch (err) {
    throw new SnapshotBytesError(`compressed body: ${(err as Error).message}`);
  }
  if (result.engine.bytesWritten !== packed.length) throw new SnapshotBytesError('trailing bytes');
  return result.buffer;
}

export function decodeSnapshot(bytes: Uint8Array): Json {
  const r = new Reader(bytes);
  if (bytes.length < 3 || bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) throw new SnapshotVersionError('agent bytes', 'no magic (not a binary snapshot)', SNAPSHOT_BYTES_VERSION);
  r.pos = 2;
  const version = r.uvar();
  if (version !== SNAPSHOT_BYTES_VERSION && version !== DEFLATED_VERSION && version !== PLAIN_VERSION) throw new SnapshotVersionError('agent bytes', version, SNAPSHOT_BYTES_VERSION);
  const body = version === PLAIN_VERSION ? r : new Reader(inflateBody(bytes.subarray(r.pos), version));
  const out = readValue(body, 0);
  if (body.pos !== body.buf.length) throw new SnapshotBytesError('trailing bytes');
  return out;
}
