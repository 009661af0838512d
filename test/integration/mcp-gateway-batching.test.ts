/**
 * The gateway's telemetry bounds each produce request (MAX_EVENTS_PER_PRODUCE): kafkajs encodes a request in one
 * synchronous stretch that holds up every call being relayed, so a burst of reported calls goes out in several
 * bounded requests, not one large one, and every call is still reported. Real Kafka and registry; the produce
 * requests are observed on the producer the hub gets from the Kafka client it is given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHub, MAX_EVENTS_PER_PRODUCE } from '../../services/mcp-gateway/agents.js';
import type { CallReport } from '../../services/mcp-gateway/calls.js';
import { createKafka, type KafkaClient } from '../../shared/kafka/index.js';
import { Registry } from '../../shared/metrics/index.js';
import { Keyring } from '../../shared/signing/index.js';
import { isolatedConfig, provisionTopics, testLogger, uniqueSuffix } from '../support/stack.js';

const config = isolatedConfig('mcp-batch');
const AGENT = `mcp-batch-${uniqueSuffix()}`;
const BURST = 3 * MAX_EVENTS_PER_PRODUCE + 10;
const keyring = new Keyring({ 'attester:mcp-gateway': { gw1: 'mcp-gateway-attester-secret-0123456789' } });

/** The number of events in each produce request the hub's producers send. */
const produceSizes: number[] = [];
let kafka: KafkaClient;
let hub: AgentHub;

function report(i: number): CallReport {
  return {
    call: { kind: 'tool', method: 'tools/call', name: 'read_text_file', capability: 'data.read', args: { path: `/docs/${i}.md` } },
    serverName: 'filesystem', sessionId: 'stdio-batch', outcome: 'SUCCESS', latencyMs: 0.2, bytesIn: 120, bytesOut: 80,
  };
}

describe('mcp-gateway telemetry batching (real stack)', () => {
  beforeAll(async () => {
    await provisionTopics(config);
    kafka = createKafka(config, testLogger);
    const producer = kafka.producer.bind(kafka);
    kafka.producer = (options) => {
      const p = producer(options);
      const send = p.send.bind(p);
      p.send = (record) => {
        produceSizes.push(record.messages.length);
        return send(record);
      };
      return p;
    };
    hub = new AgentHub({ config, keyring, logger: testLogger, metrics: new Registry(), kafka });
    await hub.start([{ agentId: AGENT, agentRole: 'support', tenantId: 'default' }]);
  });
  afterAll(async () => hub?.close());

  it('sends a burst of reported calls in produce requests of at most MAX_EVENTS_PER_PRODUCE events, and loses none', async () => {
    const guard = hub.guardFor(AGENT);
    for (let i = 0; i < BURST; i++) guard.report(report(i));
    await hub.close();

    expect(Math.max(...produceSizes)).toBeLessThanOrEqual(MAX_EVENTS_PER_PRODUCE);
    expect(produceSizes.reduce((a, b) => a + b, 0)).toBe(BURST);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(config.topics.events.name);
      expect(offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)).toBe(BURST);
    } finally {
      await admin.disconnect();
    }
  });
});
