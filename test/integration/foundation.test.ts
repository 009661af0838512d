import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, createProducer, type KafkaMessage } from '../../shared/kafka/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { createRegistry, registerSchemas } from '../../shared/registry/index.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const config = isolatedConfig('foundation');

const event: AgentActionEvent = {
  eventId: '0192f0e0-7c1a-7000-8000-000000000001',
  agentId: 'agent-support-007',
  agentRole: 'support',
  tenantId: 'acme',
  sessionId: 'sess-1',
  principal: null,
  timestamp: 1_763_000_000_123,
  seq: 42,
  action: 'data.read',
  resource: 'crm.customers',
  target: null,
  outcome: 'SUCCESS',
  bytesIn: 10,
  bytesOut: 2048,
  records: 25,
  tokens: 300,
  amount: null,
  currency: null,
  text: 'look up the order of customer 17',
  attributes: { tool: 'crm' },
};

describe('foundation on the real stack', () => {
  const kafka = createKafka(config, testLogger);
  const redis = createRedis(config);
  afterAll(async () => {
    await redis.quit();
  });

  it('encodes an AgentActionEvent through the registry, produces it, consumes and decodes it unchanged', async () => {
    await provisionTopics(config);
    const registry = createRegistry(config);
    const ids = await registerSchemas(registry, config);
    const value = await registry.encode(ids.events, event);
    // Confluent wire format: magic byte 0, then the schema id.
    expect(value[0]).toBe(0);
    expect(value.readInt32BE(1)).toBe(ids.events);

    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({ topic: config.topics.events.name, acks: -1, messages: [{ key: event.agentId, value }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `foundation-${config.topics.events.name}` });
    const received: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.events.name, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    await eventually(() => received.length > 0, 20_000, 'the event to come back');
    await consumer.disconnect();

    expect(received).toHaveLength(1);
    expect(received[0]?.key?.toString()).toBe(event.agentId);
    const decoded = await registry.decode(received[0]!.value!);
    expect(decoded).toEqual(event);
  });

  it('round-trips a value through Redis with the configured key prefix', async () => {
    await redis.set('roundtrip', JSON.stringify({ median: 3.5, n: 12 }), 'EX', 60);
    expect(JSON.parse((await redis.get('roundtrip')) ?? 'null')).toEqual({ median: 3.5, n: 12 });
    // The prefix isolates tenants of one Redis: the raw key carries it.
    const raw = createRedis(config, { keyPrefix: '' });
    expect(await raw.exists(`${config.redis.keyPrefix}roundtrip`)).toBe(1);
    await raw.quit();
  });
});
