/**
 * Fast Avro decoding for consumers. The Confluent wire format is a zero magic
 * byte, a 4-byte schema id, then the Avro body. Writer schemas are fetched from
 * the registry once per id and cached, with a resolver into our reader schema,
 * so an older or newer compatible writer decodes to the current shape, and
 * decoding after the first message is synchronous (no promise per record).
 * Every failure is a typed InvalidEventError with its DLQ reason.
 */
import avro from 'avsc';
import { InvalidEventError } from '../errors/index.js';
import type { SchemaRegistry } from './index.js';

interface Entry { resolver: avro.Resolver | null; writer: avro.Type }

export class AvroCodec<T> {
  readonly #reader: avro.Type;
  readonly #entries = new Map<number, Entry>();
  /** Unknown ids are remembered briefly so a flood of garbage does not become a flood of registry calls. */
  readonly #unknown = new Map<number, number>();

  constructor(
    private readonly registry: SchemaRegistry,
    readerSchema: object,
    private readonly unknownIdTtlMs = 10_000,
  ) {
    this.#reader = avro.Type.forSchema(readerSchema as avro.Schema);
  }

  /** Schema id of a framed message, or an error for bytes that are not Confluent-framed. */
  static schemaId(buf: Buffer | null | undefined): number {
    if (!buf || buf.length < 6) throw new InvalidEventError('event.undecodable', `message too short to be Confluent-framed Avro (${buf?.length ?? 0} bytes)`);
    if (buf[0] !== 0) throw new InvalidEventError('event.undecodable', `bad magic byte ${buf[0]} (expected 0)`);
    return buf.readInt32BE(1);
  }

  /** Makes sure the writer schema of this id is loaded; then decodeLoaded() is synchronous. */
  async load(id: number, nowMs = Date.now()): Promise<void> {
    if (this.#entries.has(id)) return;
    const seen = this.#unknown.get(id);
    if (seen !== undefined && nowMs - seen < this.unknownIdTtlMs) throw new InvalidEventError('event.unknown-schema', `schema id ${id} is not in the registry`);
    let writer: avro.Type;
    try {
      writer = (await this.registry.getSchema(id)) as unknown as avro.Type;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status !== undefined && status >= 500) throw err; // the registry is down: retriable, not the message's fault
      this.#unknown.set(id, nowMs);
      throw new InvalidEventError('event.unknown-schema', `schema id ${id} is not in the registry`);
    }
    let resolver: avro.Resolver | null = null;
    if (writer.fingerprint().toString('hex') !== this.#reader.fingerprint().toString('hex')) {
      try {
        resolver = this.#reader.createResolver(writer);
      } catch {
        this.#entries.set(id, { resolver: null, writer: null as unknown as avro.Type });
        return;
      }
    }
    this.#entries.set(id, { resolver, writer });
  }

  isLoaded(id: number): boolean {
    return this.#entries.has(id);
  }

  /** Decodes a framed message whose schema id has been load()ed. */
  decodeLoaded(buf: Buffer): T {
    const id = AvroCodec.schemaId(buf);
    const entry = this.#entries.get(id);
    if (!entry) throw new Error(`schema ${id} not loaded`);
    if (!entry.writer) throw new InvalidEventError('event.schema-mismatch', `schema id ${id} is not compatible with ${this.#reader.name ?? 'the reader schema'}`);
    try {
      const body = buf.subarray(5);
      return (entry.resolver ? this.#reader.fromBuffer(body, entry.resolver, true) : this.#reader.fromBuffer(body)) as T;
    } catch (err) {
      throw new InvalidEventError('event.schema-mismatch', `record does not match schema ${id}: ${(err as Error).message.slice(0, 120)}`);
    }
  }

  async decode(buf: Buffer): Promise<T> {
    await this.load(AvroCodec.schemaId(buf));
    return this.decodeLoaded(buf);
  }
}
