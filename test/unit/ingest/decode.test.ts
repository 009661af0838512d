import { describe, expect, it } from 'vitest';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { decodeJsonRequest, decodeProtobufRequest, encodeResponse, OtlpDecodeError } from '../../../shared/ingest/otlp/decode.js';

function spans() {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bot-1', 'gen_ai.agent.id': 'agent-7' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const span = provider.getTracer('t').startSpan('execute_tool send_email', {
    startTime: new Date('2026-11-30T10:00:00.000Z'),
    attributes: { 'gen_ai.tool.name': 'send_email', 'gen_ai.usage.input_tokens': 12, ratio: 0.5, flag: true, list: ['a', 'b'], __proto__: 'x' } as Record<string, unknown> as never,
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  span.end(new Date('2026-11-30T10:00:01.250Z'));
  return memory.getFinishedSpans();
}

describe('OTLP request decoding (generated from the official protos)', () => {
  const sdk = spans();
  const fromProto = decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(sdk)!);
  const fromJson = decodeJsonRequest(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(sdk)!));

  it('reads what the SDK serializes, the same from protobuf and JSON', () => {
    expect(fromProto).toHaveLength(1);
    const s = fromProto[0]!;
    expect(s.traceId).toBe(sdk[0]!.spanContext().traceId);
    expect(s.spanId).toBe(sdk[0]!.spanContext().spanId);
    expect(s.name).toBe('execute_tool send_email');
    expect(s.startMs).toBe(Date.parse('2026-11-30T10:00:00.000Z'));
    expect(s.endMs).toBe(Date.parse('2026-11-30T10:00:01.250Z'));
    expect(s.statusCode).toBe(2);
    expect(s.statusMessage).toBe('boom');
    expect(s.scope).toBe('t');
    expect(s.resource.get('gen_ai.agent.id')).toBe('agent-7');
    expect(s.attributes.get('gen_ai.usage.input_tokens')).toBe(12);
    expect(s.attributes.get('ratio')).toBe(0.5);
    expect(s.attributes.get('flag')).toBe(true);
    expect(s.attributes.get('list')).toEqual(['a', 'b']);
    expect(fromJson).toEqual(fromProto);
  });

  it('reads OTLP/JSON with int64 as strings or numbers and enums as integers', () => {
    const doc = {
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] }, scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'chat', kind: 3, startTimeUnixNano: '1796000000000000000', endTimeUnixNano: 1796000000500000000, attributes: [{ key: 'n', value: { intValue: '9007199254740993' } }, { key: 'kv', value: { kvlistValue: { values: [{ key: 'x', value: { stringValue: 'y' } }] } } }] }] }] }],
    };
    const [s] = decodeJsonRequest(JSON.stringify(doc));
    expect(s).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', kind: 3, startMs: 1796000000000, endMs: 1796000000500 });
    expect(s!.attributes.get('kv')).toEqual({ x: 'y' });
    expect(typeof s!.attributes.get('n')).toBe('number');
  });

  it.each([
    ['truncated protobuf', () => decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(sdk)!.subarray(0, 40))],
    ['garbage bytes', () => decodeProtobufRequest(Buffer.from('\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', 'latin1'))],
    ['not JSON', () => decodeJsonRequest('{"resourceSpans": [')],
    ['JSON array', () => decodeJsonRequest('[]')],
    ['base64 instead of hex ids', () => decodeJsonRequest(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'Cvdl+RbNQ92ESOshHIAxnA==' }] }] }] }))],
    ['wrong types', () => decodeJsonRequest(JSON.stringify({ resourceSpans: 'x' }))],
  ])('%s is an OtlpDecodeError', (_name, decode) => {
    expect(decode).toThrow(OtlpDecodeError);
  });

  it('bounds nesting of attribute values', () => {
    let value: unknown = { stringValue: 'deep' };
    for (let i = 0; i < 50; i++) value = { arrayValue: { values: [value] } };
    const doc = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: [{ key: 'deep', value }] }] }] }] };
    const [s] = decodeJsonRequest(JSON.stringify(doc));
    expect(JSON.stringify(s!.attributes.get('deep'))).not.toContain('deep');
  });

  it('encodes partial success in both forms', () => {
    expect(JSON.parse(encodeResponse('json', 2, 'two refused').toString())).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: 'two refused' } });
    expect(JSON.parse(encodeResponse('json', 0, '').toString())).toEqual({});
    expect(encodeResponse('protobuf', 0, '').length).toBe(0);
    expect(encodeResponse('protobuf', 2, 'two refused').toString('latin1')).toContain('two refused');
  });
});
