/**
 * Decoding OTLP trace export requests, protobuf and JSON, with the protobuf code the OpenTelemetry JS
 * project generated from the official opentelemetry-proto files (shipped in
 * @opentelemetry/otlp-transformer 0.215, the same package its exporters encode with): no decoder of our
 * own. OTLP/JSON differs from protobuf's JSON mapping in two ways, both handled before the generated
 * `fromObject`: trace and span ids are hex (not base64), and enums are integers. Every failure is an
 * OtlpDecodeError, never a crash; nesting and sizes stay bounded.
 */
import { createRequire } from 'node:module';
import { WardenError } from '../../errors/index.js';
import type { AttributeValue, Attributes, OtlpSpan } from './spans.js';

interface GeneratedType {
  decode(bytes: Uint8Array): unknown;
  fromObject(object: unknown): unknown;
  encode(message: unknown): { finish(): Uint8Array };
}

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: GeneratedType; ExportTraceServiceResponse: GeneratedType } } } } };
};
const traceV1 = root.opentelemetry.proto.collector.trace.v1;

/** The request cannot be read; `format` says which form was tried. */
export class OtlpDecodeError extends WardenError {
  constructor(format: 'protobuf' | 'json', detail: string) {
    super('event.undecodable', `malformed OTLP ${format} ExportTraceServiceRequest: ${detail}`);
  }
}

/** Attribute values nest (arrays, key-value lists); deeper than this is cut to null. */
const MAX_VALUE_DEPTH = 8;

interface Long { toString(): string }
interface PbAnyValue { stringValue?: string | null; boolValue?: boolean | null; intValue?: number | Long | null; doubleValue?: number | null; arrayValue?: { values?: PbAnyValue[] | null } | null; kvlistValue?: { values?: PbKeyValue[] | null } | null; bytesValue?: Uint8Array | null }
interface PbKeyValue { key?: string | null; value?: PbAnyValue | null }
interface PbSpan { traceId?: Uint8Array | null; spanId?: Uint8Array | null; parentSpanId?: Uint8Array | null; name?: string | null; kind?: number | null; startTimeUnixNano?: number | Long | null; endTimeUnixNano?: number | Long | null; attributes?: PbKeyValue[] | null; status?: { code?: number | null; message?: string | null } | null }
interface PbRequest { resourceSpans?: { resource?: { attributes?: PbKeyValue[] | null } | null; scopeSpans?: { scope?: { name?: string | null } | null; spans?: PbSpan[] | null }[] | null }[] | null }

export function decodeProtobufRequest(bytes: Uint8Array): OtlpSpan[] {
  let message: PbRequest;
  try {
    message = traceV1.ExportTraceServiceRequest.decode(bytes) as PbRequest;
  } catch (err) {
    throw new OtlpDecodeError('protobuf', (err as Error).message.slice(0, 200));
  }
  return flatten(message);
}

export function decodeJsonRequest(text: string): OtlpSpan[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError('json', (err as Error).message.slice(0, 200));
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new OtlpDecodeError('json', 'expected an object with resourceSpans');
  try {
    hexIdsToBytes(doc as Record<string, unknown>);
    return flatten(traceV1.ExportTraceServiceRequest.fromObject(doc) as PbRequest);
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err;
    throw new OtlpDecodeError('json', (err as Error).message.slice(0, 200));
  }
}

/** OTLP/HTTP success: an ExportTraceServiceResponse, with partialSuccess when some spans were rejected. */
export function encodeResponse(format: 'protobuf' | 'json', rejectedSpans: number, errorMessage: string): Buffer {
  const partialSuccess = rejectedSpans > 0 || errorMessage ? { rejectedSpans: String(rejectedSpans), errorMessage } : undefined;
  if (format === 'json') return Buffer.from(JSON.stringify(partialSuccess ? { partialSuccess } : {}));
  const message = traceV1.ExportTraceServiceResponse.fromObject(partialSuccess ? { partialSuccess } : {});
  return Buffer.from(traceV1.ExportTraceServiceResponse.encode(message).finish());
}

/** OTLP/JSON carries trace and span ids as hex; the generated fromObject reads bytes as base64. */
function hexIdsToBytes(doc: Record<string, unknown>): void {
  for (const rs of arrayAt(doc, 'resourceSpans')) {
    for (const ss of arrayAt(rs, 'scopeSpans')) {
      for (const span of arrayAt(ss, 'spans')) {
        for (const field of ['traceId', 'spanId', 'parentSpanId'] as const) {
          const v = span[field];
          if (v === undefined || v === null || v === '') continue;
          if (typeof v !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(v)) throw new OtlpDecodeError('json', `${field} must be a hex string`);
          span[field] = Buffer.from(v, 'hex');
        }
        // Links are not read; their hex ids would need the same treatment, so they are left out.
        if (Array.isArray(span.links)) span.links = [];
      }
    }
  }
}

function arrayAt(obj: unknown, key: string): Record<string, unknown>[] {
  if (typeof obj !== 'object' || obj === null) return [];
  const v = (obj as Record<string, unknown>)[key];
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}

function flatten(req: PbRequest): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = ss.scope?.name ?? '';
      for (const s of ss.spans ?? []) {
        out.push({
          resource,
          scope,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message ?? '',
        });
      }
    }
  }
  return out;
}

function hex(bytes: Uint8Array | null | undefined): string {
  return bytes && bytes.length > 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

function nanosToMs(v: number | Long | null | undefined): number {
  if (v === null || v === undefined) return 0;
  const text = v.toString();
  if (!/^\d{1,20}$/.test(text)) return 0;
  return Number(BigInt(text) / 1_000_000n);
}

function attributes(kvs: PbKeyValue[] | null | undefined): Attributes {
  const out: Attributes = new Map();
  for (const kv of kvs ?? []) if (kv.key) out.set(kv.key, anyValue(kv.value, 0));
  return out;
}

function anyValue(v: PbAnyValue | null | undefined, depth: number): AttributeValue {
  if (!v || depth > MAX_VALUE_DEPTH) return null;
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (v.intValue !== null && v.intValue !== undefined) return Number(v.intValue.toString());
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map((x) => anyValue(x, depth + 1));
  if (v.kvlistValue) {
    const obj: { [key: string]: AttributeValue } = Object.create(null) as { [key: string]: AttributeValue };
    for (const kv of v.kvlistValue.values ?? []) if (kv.key) obj[kv.key] = anyValue(kv.value, depth + 1);
    return obj;
  }
  if (v.bytesValue) return Buffer.from(v.bytesValue).toString('base64');
  return null;
}
