/**
 * Helpers for the otel-ingest integration tests: GenAI spans made with the real OpenTelemetry JS SDK,
 * serialized by its own OTLP serializers (the bytes its exporters and, for otlp_proto, the Collector's
 * kafka exporter send), and an otel-ingest service on isolated topics.
 */
import { createServer } from 'node:net';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';
import type { WardenConfig } from '../../shared/config/index.js';
import { Senders } from '../../shared/ingest/senders.js';
import { createRegistry } from '../../shared/registry/index.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { Keyring } from '../../shared/signing/index.js';
import { OtelIngestService } from '../../services/otel-ingest/service.js';
import { readTopic } from '../support/detector.js';
import { testLogger } from '../support/stack.js';

export const ATTESTER_KEYRING = new Keyring({ 'attester:otel-ingest': { k1: 'test-attester-secret-otel-ingest-0123456789' } });
export const TOKENS = { bot1: 'token-support-bot-1-0123456789abcdef', collector: 'token-shared-collector-0123456789abcdef' };
export const SENDERS = new Senders([
  { name: 'support-bot-1', token: TOKENS.bot1, agents: ['support-bot-1'] },
  { name: 'collector-eu', token: TOKENS.collector, agents: ['fin-*'] },
]);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A config for otel-ingest on this test's topics, with its receiver on a free port. */
export async function ingestConfig(base: WardenConfig, over: Partial<WardenConfig['otelIngest']> = {}): Promise<WardenConfig> {
  const c = base.otelIngest;
  return { ...base, otelIngest: { ...c, ...over, http: { ...c.http, port: await freePort(), ...over.http }, kafka: { ...c.kafka, groupId: `otel-ingest-${base.topics.events.name}`, ...over.kafka } } };
}

export async function startIngest(config: WardenConfig): Promise<OtelIngestService> {
  const service = new OtelIngestService({ config, logger: testLogger, keyring: ATTESTER_KEYRING, senders: SENDERS });
  await service.start();
  return service;
}

export interface ToolCall { tool: string; args?: unknown; attributes?: Attributes; error?: string }

/** An SDK tracer for one agent (resource attributes as an instrumented Python agent would set them). */
export function agentTracer(resource: Attributes, exporter: SpanExporter) {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes(resource), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('agent-under-test');
  return {
    provider,
    /** `invoke_agent` with one `execute_tool` child per call, following the GenAI conventions. */
    run(calls: ToolCall[], conversationId = 'conv-1'): void {
      const parent = tracer.startSpan('invoke_agent support', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'gen_ai.conversation.id': conversationId, 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30 } });
      for (const call of calls) {
        const span = tracer.startSpan(`execute_tool ${call.tool}`, {
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': call.tool,
            'gen_ai.tool.type': 'function',
            'gen_ai.tool.call.id': `call-${Math.random().toString(36).slice(2)}`,
            'gen_ai.conversation.id': conversationId,
            ...(call.args === undefined ? {} : { 'gen_ai.tool.call.arguments': JSON.stringify(call.args) }),
            ...(call.error ? { 'error.type': call.error } : {}),
            ...call.attributes,
          },
        });
        span.end();
      }
      parent.end();
    },
  };
}

/** Finished SDK spans for a resource and tool calls (with an in-memory exporter). */
export function sdkSpans(resource: Attributes, calls: ToolCall[]): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  agentTracer(resource, memory).run(calls);
  return memory.getFinishedSpans();
}

export const protobufBody = (spans: ReadableSpan[]): Buffer => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
export const jsonBody = (spans: ReadableSpan[]): Buffer => Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);

export async function readEvents(config: WardenConfig, count: number): Promise<{ event: AgentActionEvent; headers: Record<string, string> }[]> {
  const registry = createRegistry(config);
  const messages = await readTopic(config, config.topics.events.name, count);
  return Promise.all(
    messages.map(async (m) => ({
      event: (await registry.decode(m.value!)) as AgentActionEvent,
      headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
    })),
  );
}

export async function post(port: number, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
