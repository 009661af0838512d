/**
 * The spans of one OTLP ExportTraceServiceRequest as otel-ingest reads them, whatever the wire form:
 * ids in lower-case hex, times in epoch milliseconds, attribute values as plain JSON values. Attribute
 * maps are Maps, so a key such as `__proto__` is only a key.
 */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Map<string, AttributeValue>;

export interface OtlpSpan {
  resource: Attributes;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  /** Status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
}

/** The first value among `names`, looked up in the span's attributes first, then its resource's. */
export function lookup(span: OtlpSpan, names: readonly string[]): { name: string; value: AttributeValue } | undefined {
  for (const name of names) {
    const v = span.attributes.get(name) ?? span.resource.get(name);
    if (v !== undefined && v !== null && v !== '') return { name, value: v };
  }
  return undefined;
}

export function stringAttr(attrs: Attributes, name: string): string | undefined {
  const v = attrs.get(name);
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export function intAttr(attrs: Attributes, name: string): number | undefined {
  const v = attrs.get(name);
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
