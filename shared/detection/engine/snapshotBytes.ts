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
 * Version 2 deflates the value's bytes (raw deflate): a warm agent's
 * snapshot is 8.1 KB as version 1 and 3.0 KB deflated (bench/memory.ts
 * fleet).
 * Version 3 deflates with a preset dictionary (snapshotDictionary.ts: the
 * plain encoding of one agent of the labelled scenario, not of the benchmark
 * fleet), so the key names, tags and the usual shape of a series cost back-
 * references instead of literals: on the bench/memory.ts fleet a warm agent's
 * snapshot went from ~3.06 KB to ~2.14 KB (measured 2026-12-02 on 200 agents;
 * the dictionary was not built from that fleet). The dictionary is part of
 * the format: changing it is a new version. Version 4 (2026-12-03) is
 * version 3 with a dictionary regenerated from the code that added the
 * per-action size fits (baseline/actionSizes.ts): with version 3's, whose
 * snapshots had none, the dictionary gained under 20% (contractBytes.test.ts).
 * Version 5 (2026-12-04) is version 4 with a dictionary regenerated from the
 * code that named the off-hours and drift-ring fields (with version 4's, whose
 * snapshots had the old names, a warm agent of bench/memory-breakdown.ts grew
 * from 2,716 to 2,786 bytes).
 * Versions 1, 2, 3 and 4 (saved before) still decode.
 *
 * Checkpoints encode every changed agent, so encoding is on the detector's
 * path: one writer is reused, numeric blocks are classified in one pass,
 * ASCII strings skip the TextEncoder, and deflate runs at level 2 (level 6
 * before 2026-12-02; any level inflates the same way). Warm agent, CPU time
 * per encode (deflate included, version 2 then), median of 9, old and new
 * side by side on a loaded machine: 541 -> 325 µs (the writer alone: 578 ->
 * 390 µs; deflate alone, level 6 -> 2: 134 -> 101 µs). Building the snapshot
 * tree (snapshotAgent) costs another ~200-300 µs.
 *
 * Decoding is on the path of every partition a detector takes over (each of its agents is restored on first
 * sight). Restoring a warm agent (26 h of history, bench/engine.ts warm workload; inflate, decode and rebuild),
 * median of 4, 2026-12-07, a scratch harness: ~530 -> ~300 µs, from plain objects instead of prototype-less ones
 * (V8 keeps those as hash tables; ~530 -> ~470 alone), bit operations for zigzag varints and floats read in place
 * (bench/engine.ts, side by side: 643 / 698 -> 347 / 386 µs). Pooling the restored strings saved memory, not time.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SnapshotVersionError } from '../baseline/seriesCodec.js';
import type { Json } from '../types.js';
import type { StringPool } from './stringPool.js';
import { SNAPSHOT_DICTIONARY_V3 } from './snapshotDictionary.js';
import { SNAPSHOT_DICTIONARY_V4 } from './snapshotDictionaryV4.js';
import { SNAPSHOT_DICTIONARY_V5 } from './snapshotDictionaryV5.js';

export const SNAPSHOT_BYTES_VERSION = 5;
/** Version 1: the value's bytes as they are (still read). */
const PLAIN_VERSION = 1;
/** Version 2: deflated without a dictionary (still read). */
const DEFLATED_VERSION = 2;
/** Deflated with version 3's dictionary. */
const DICTIONARY_V3_VERSION = 3;
/** Deflated with version 4's dictionary. */
const DICTIONARY_V4_VERSION = 4;
/** Each dictionary version's dictionary (the current one last). */
const DICTIONARIES = new Map<number, Uint8Array>([
  [DICTIONARY_V3_VERSION, SNAPSHOT_DICTIONARY_V3],
  [DICTIONARY_V4_VERSION, SNAPSHOT_DICTIONARY_V4],
  [SNAPSHOT_BYTES_VERSION, SNAPSHOT_DICTIONARY_V5],
]);
/** No agent's state comes near this; a tampered stream that inflates past it is refused, not allocated. */
const MAX_INFLATED_BYTES = 64 * 2 ** 20;
/**
 * Level 2 (zlib's fast strategy). With the version 3 dictionary, 1,000 warm agents of the bench/memory.ts fleet,
 * CPU per deflate, median of 9 (2026-12-02, load ~17): level 6 208 µs / 2,167 B, level 2 158 µs / 2,259 B (-24% CPU,
 * +4% bytes); without a dictionary (version 2) 134 -> 101 µs for 3,056 -> 3,139 B.
 */
const DEFLATE_LEVEL = 2;
const MAGIC0 = 0x41; // 'A'
const MAGIC1 = 0x57; // 'W'

const T_NULL = 0, T_FALSE = 1, T_TRUE = 2, T_INT = 3, T_DEC4 = 4, T_F64 = 5, T_STR = 6, T_STRREF = 7, T_ARR = 8, T_OBJ = 9, T_NUMS = 10;
const NUMS_INT = 0, NUMS_DEC4 = 1, NUMS_F64 = 2;
const MAX_VARINT = 2 ** 52;

/** Floats are in the platform's byte order (the first encoders copied a Float64Array's bytes). */
const PLATFORM_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * One writer for every encode (encoding is synchronous, so it is never shared by two at once): its buffer is
 * kept between agents instead of growing from 1 KiB for each (a checkpoint encodes thousands in a row).
 */
class Writer {
  buf: Uint8Array = new Uint8Array(16 * 1024);
  /** Floats are written in place, in the platform's byte order (as a Float64Array's bytes were before). */
  private view: DataView = new DataView(this.buf.buffer);
  len = 0;
  /**
   * Strings written so far in this encode, by index (a repeat is written as a reference): each entry holds the
   * encode's generation x 2^20 + the index, so an entry of an earlier encode reads as absent. The map is not
   * cleared for each agent: emptied and filled again, it rebuilt its hash table from its smallest size on every
   * encode, and that was a third of the writer's time. Agent and event ids make it grow, so past
   * MAX_KEPT_STRINGS it starts again.
   */
  private readonly strings = new Map<string, number>();
  private generation = 0;
  private written = 0;

  reset(): void {
    this.len = 0;
    // An encode of more strings than the stride would overlap the next generation's entries: start again.
    const overlapped = this.written >= GENERATION_STRIDE;
    this.written = 0;
    this.generation++;
    if (overlapped || this.generation >= MAX_GENERATION || this.strings.size > MAX_KEPT_STRINGS) {
      this.strings.clear();
      this.generation = 1;
    }
    // A rare huge snapshot must not pin its buffer for ever.
    if (this.buf.length > KEPT_WRITER_BYTES) this.grow(new Uint8Array(16 * 1024));
  }
  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.grow(next);
  }
  private grow(next: Uint8Array): void {
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  /** Unsigned varint (up to 2^52, exact in doubles). The caller has made room for 8 bytes. */
  uvarUnchecked(n: number): void {
    const buf = this.buf;
    let len = this.len;
    if (n < 0x80000000) {
      // Below 2^31, 32-bit operations are exact and several times cheaper than % and Math.floor.
      while (n >= 128) {
        buf[len++] = (n & 127) | 128;
        n >>>= 7;
      }
    } else {
      while (n >= 128) {
        buf[len++] = (n % 128) + 128;
        n = Math.floor(n / 128);
      }
    }
    buf[len++] = n;
    this.len = len;
  }
  uvar(n: number): void {
    this.room(8);
    this.uvarUnchecked(n);
  }
  svar(n: number): void {
    this.uvar(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  float(v: number): void {
    this.room(8);
    this.view.setFloat64(this.len, v, PLATFORM_LITTLE_ENDIAN);
    this.len += 8;
  }
  string(s: string): void {
    const entry = this.strings.get(s);
    if (entry !== undefined && entry >= this.generation * GENERATION_STRIDE) {
      this.byte(T_STRREF);
      this.uvar(entry - this.generation * GENERATION_STRIDE);
      return;
    }
    this.strings.set(s, this.generation * GENERATION_STRIDE + this.written++);
    this.byte(T_STR);
    // Keys and ids are ASCII: their UTF-8 bytes are their char codes, written without an encoder call.
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) >= 128) {
        ascii = false;
        break;
      }
    }
    const bytes = ascii ? null : utf8.encode(s);
    const size = bytes ? bytes.length : n;
    this.room(8 + size);
    this.uvarUnchecked(size);
    if (bytes) this.buf.set(bytes, this.len);
    else for (let i = 0; i < n; i++) this.buf[this.len + i] = s.charCodeAt(i);
    this.len += size;
  }
}

const utf8 = new TextEncoder();
/** Room for each encode's string indexes in a writer's string entries (no agent has a million strings). */
const GENERATION_STRIDE = 2 ** 20;
/** Generations before the entries start again (generation x stride stays an exact integer below 2^53). */
const MAX_GENERATION = 2 ** 32;
/** Distinct strings the writer keeps between encodes: field names, action and resource names, ids. */
const MAX_KEPT_STRINGS = 100_000;
/** Largest buffer the shared writer keeps after an encode (a warm agent needs ~8 KiB). */
const KEPT_WRITER_BYTES = 1024 * 1024;
const writer = new Writer();

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

/**
 * The block encoding of an array of numbers (every element fits it: a large integer does not fit x 1e4), or -1
 * when some element is not a number. One pass over the array.
 */
function numsKind(v: Json[]): number {
  let allInt = true;
  let allDec4 = true;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number') return -1;
    if (allInt && isInt(x)) {
      // An integer fits x 1e4 exactly below 1e11 (what isDec4 says of it), without its rounding.
      if (allDec4 && Math.abs(x) >= 1e11) allDec4 = false;
      continue;
    }
    allInt = false;
    if (allDec4 && !isDec4(x)) allDec4 = false;
  }
  return allInt ? NUMS_INT : allDec4 ? NUMS_DEC4 : NUMS_F64;
}

function writeNums(w: Writer, nums: number[], kind: number): void {
  w.byte(T_NUMS);
  w.byte(kind);
  w.uvar(nums.length);
  // Every element takes at most 8 bytes (a varint below 2^52, or a float64): room for the block at once.
  w.room(nums.length * 8);
  if (kind === NUMS_F64) {
    for (const x of nums) w.float(x);
    return;
  }
  for (const x of nums) {
    const n = kind === NUMS_INT ? x : Math.round(x * 1e4);
    w.uvarUnchecked(n >= 0 ? n * 2 : -n * 2 - 1);
  }
}

function writeValue(w: Writer, v: Json): void {
  if (v === null) return w.byte(T_NULL);
  if (v === true) return w.byte(T_TRUE);
  if (v === false) return w.byte(T_FALSE);
  if (typeof v === 'number') return writeNumber(w, v);
  if (typeof v === 'string') return w.string(v);
  if (Array.isArray(v)) {
    const kind = v.length > 0 ? numsKind(v) : -1;
    if (kind >= 0) return writeNums(w, v as number[], kind);
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

/** One decoder for every string (TextDecoder holds no state between whole-buffer decodes). */
const UTF8 = new TextDecoder();

class Reader {
  pos = 0;
  readonly strings: string[] = [];
  readonly buf: Uint8Array;
  /** Floats are read in place (a copy of their 8 bytes each was a new subarray per float). */
  private readonly view: DataView;
  constructor(
    buf: Uint8Array,
    private readonly pool: StringPool | null,
  ) {
    // One element kind for every read: the inflated body is a Buffer, a version 1 body a plain Uint8Array.
    this.buf = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new SnapshotBytesError('truncated');
    return this.buf[this.pos++]!;
  }
  uvar(): number {
    // Most varints are one byte (small counts, tags, lengths).
    const first = this.byte();
    if (first < 128) return first;
    let n = first - 128;
    let scale = 128;
    for (;;) {
      const b = this.byte();
      n += (b & 127) * scale;
      if (b < 128) return n;
      scale *= 128;
      if (scale > MAX_VARINT * 128) throw new SnapshotBytesError('varint too long');
    }
  }
  svar(): number {
    const u = this.uvar();
    // Bit operations where the value fits 31 bits (nearly always): `%` on a number V8 cannot prove small is a call.
    if (u < 0x80000000) return (u & 1) === 0 ? u >>> 1 : -((u >>> 1) + 1);
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  float(): number {
    if (this.pos + 8 > this.buf.length) throw new SnapshotBytesError('truncated');
    const value = this.view.getFloat64(this.pos, PLATFORM_LITTLE_ENDIAN);
    this.pos += 8;
    return value;
  }
  string(tag: number): string {
    if (tag === T_STRREF) {
      const s = this.strings[this.uvar()];
      if (s === undefined) throw new SnapshotBytesError('bad string reference');
      return s;
    }
    const n = this.uvar();
    if (this.pos + n > this.buf.length) throw new SnapshotBytesError('truncated');
    const decoded = UTF8.decode(this.buf.subarray(this.pos, this.pos + n));
    const s = this.pool ? this.pool.intern(decoded) : decoded;
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
      if (kind === NUMS_INT) for (let i = 0; i < n; i++) out[i] = r.svar();
      else if (kind === NUMS_DEC4) for (let i = 0; i < n; i++) out[i] = r.svar() / 1e4;
      else for (let i = 0; i < n; i++) out[i] = r.float();
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
      // A plain literal: V8 keeps it in fast mode, where an object without a prototype (Object.create(null)) is a
      // hash table from the start, slower to build and to read (restoring a warm agent: ~530 -> ~470 µs).
      const out: { [key: string]: Json } = {};
      for (let i = 0; i < n; i++) {
        const kt = r.byte();
        if (kt !== T_STR && kt !== T_STRREF) throw new SnapshotBytesError('object key is not a string');
        const key = r.string(kt);
        // Keys come from our own encoder, but bytes may be tampered with: the one key whose assignment does more
        // than add a property (it would set the object's prototype) is refused.
        if (key === '__proto__') throw new SnapshotBytesError('object key __proto__');
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
  writer.reset();
  writeValue(writer, value);
  return writer.buf.slice(0, writer.len); // a copy: the writer's buffer is reused by the next encode
}

export function encodeSnapshot(value: Json): Uint8Array {
  const w = writer;
  w.reset();
  writeValue(w, value);
  const packed = deflateRawSync(w.buf.subarray(0, w.len), { level: DEFLATE_LEVEL, dictionary: SNAPSHOT_DICTIONARY_V5 });
  const out = new Uint8Array(3 + packed.length);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = SNAPSHOT_BYTES_VERSION; // a one-byte varint
  out.set(packed, 3);
  return out;
}

/** The value's bytes of a version 2, 3, 4 or 5 snapshot; a truncated, padded or corrupt stream is a SnapshotBytesError. */
function inflateBody(packed: Uint8Array, version: number): Uint8Array {
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    const dictionary = version === DEFLATED_VERSION ? {} : { dictionary: DICTIONARIES.get(version)! };
    result = inflateRawSync(packed, { info: true, maxOutputLength: MAX_INFLATED_BYTES, ...dictionary }) as unknown as typeof result;
  } catch (err) {
    throw new SnapshotBytesError(`compressed body: ${(err as Error).message}`);
  }
  if (result.engine.bytesWritten !== packed.length) throw new SnapshotBytesError('trailing bytes');
  return result.buffer;
}

export function decodeSnapshot(bytes: Uint8Array, pool: StringPool | null = null): Json {
  const r = new Reader(bytes, pool);
  if (bytes.length < 3 || bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) throw new SnapshotVersionError('agent bytes', 'no magic (not a binary snapshot)', SNAPSHOT_BYTES_VERSION);
  r.pos = 2;
  const version = r.uvar();
  if (!DICTIONARIES.has(version) && version !== DEFLATED_VERSION && version !== PLAIN_VERSION) throw new SnapshotVersionError('agent bytes', version, SNAPSHOT_BYTES_VERSION);
  const body = version === PLAIN_VERSION ? r : new Reader(inflateBody(bytes.subarray(r.pos), version), pool);
  const out = readValue(body, 0);
  if (body.pos !== body.buf.length) throw new SnapshotBytesError('trailing bytes');
  return out;
}
