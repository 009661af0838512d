/** Hostile bytes and documents: decoding and mapping either succeed or fail with OtlpDecodeError, never anything else. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJsonRequest, decodeProtobufRequest, OtlpDecodeError } from '../../../shared/ingest/otlp/decode.js';
import type { OtlpSpan } from '../../../shared/ingest/otlp/spans.js';
import { spanToEvent } from '../../../shared/ingest/spanToEvent.js';
import { loadToolActions } from '../../../shared/ingest/toolActions.js';

const options = {
  identity: { agentIdAttributes: ['gen_ai.agent.id', 'service.name'], roleAttributes: ['gen_ai.agent.name'], defaultRole: 'otel', tenantAttributes: [], defaultTenant: 'default' },
  toolActions: loadToolActions(),
  maxTextLength: 256,
  sender: 'fuzz',
};

function mapAll(spans: OtlpSpan[]): void {
  for (const s of spans) expect(['event', 'ignored', 'refused']).toContain(spanToEvent(s, options).kind);
}

function decodesOrRefuses(decode: () => OtlpSpan[]): void {
  let spans: OtlpSpan[];
  try {
    spans = decode();
  } catch (err) {
    expect(err).toBeInstanceOf(OtlpDecodeError);
    return;
  }
  mapAll(spans);
}

const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.record({ stringValue: fc.string() }),
    fc.record({ intValue: fc.oneof(fc.integer(), fc.string()) }),
    fc.record({ boolValue: fc.anything() }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key: fc.string(), value: tie('value') }), { maxLength: 3 }) }) }),
  ),
})).value;
const attribute = fc.record({ key: fc.constantFrom('gen_ai.operation.name', 'gen_ai.tool.name', 'gen_ai.agent.id', 'service.name', 'gen_ai.tool.call.arguments', 'gen_ai.usage.input_tokens', 'url.full', '__proto__', 'x'), value: anyValue });
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const span = fc.record(
  {
    traceId: fc.oneof(hex(32), fc.string()),
    spanId: fc.oneof(hex(16), fc.string()),
    name: fc.oneof(fc.constantFrom('execute_tool send_email', 'chat gpt', 'invoke_agent a'), fc.string()),
    kind: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.anything()),
    startTimeUnixNano: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), fc.anything()),
    endTimeUnixNano: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), fc.integer()),
    attributes: fc.array(attribute, { maxLength: 6 }),
    status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: fc.string() }),
  },
  { requiredKeys: [] },
);
const request = fc.record({ resourceSpans: fc.array(fc.record({ resource: fc.record({ attributes: fc.array(attribute, { maxLength: 4 }) }), scopeSpans: fc.array(fc.record({ spans: fc.array(span, { maxLength: 3 }) }), { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 2 }) }, { requiredKeys: [] });

describe('OTLP decoding and mapping under hostile input', () => {
  it('random bytes as protobuf', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => decodesOrRefuses(() => decodeProtobufRequest(bytes))), { numRuns: 2000 });
  });

  it('random text as JSON', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (text) => decodesOrRefuses(() => decodeJsonRequest(text))), { numRuns: 2000 });
  });

  it('request-shaped JSON with wrong and odd values', () => {
    fc.assert(fc.property(request, (doc) => decodesOrRefuses(() => decodeJsonRequest(JSON.stringify(doc)))), { numRuns: 1000 });
  });
});
