/**
 * Broker retries cannot duplicate: a proxy loses the broker's answer to the first Produce request, so the
 * client times out and re-sends a batch the broker already wrote. A plain producer writes it twice; the SDK
 * (through shared/kafka's idempotent producer) leaves exactly one record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer, type KafkaClient } from '../../shared/kafka/index.js';
import { Keyring } from '../../shared/signing/index.js';
import { createAgentTelemetry } from '../../shared/telemetry/index.js';
import { startLossyKafkaProxy, type LossyKafkaProxy } from '../support/lossyKafkaProxy.js';
import { isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

// A short request timeout so the lost response turns into a re-send quickly.
const withTimeout = (c: WardenConfig): WardenConfig => ({ ...c, kafka: { ...c.kafka, requestTimeoutMs: 1500 } });
const keyring = new Keyring({ 'retry-1': { k1: 'retry-1-secret-0123456789abc' } });
const proxies: LossyKafkaProxy[] = [];

async function recordsOn(kafka: KafkaClient, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function lossyKafka(config: WardenConfig): Promise<{ kafka: KafkaClient; proxy: LossyKafkaProxy }> {
  const proxy = await startLossyKafkaProxy({ dropProduceResponses: 1 });
  proxies.push(proxy);
  return { kafka: createKafka(config, testLogger, 'lossy', { socketFactory: proxy.socketFactory }), proxy };
}

describe('producer idempotence against a broker whose answer is lost', () => {
  const plainConfig = withTimeout(isolatedConfig('idem-plain'));
  const sdkConfig = withTimeout(isolatedConfig('idem-sdk'));
  beforeAll(async () => {
    await provisionTopics(plainConfig);
    await provisionTopics(sdkConfig);
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
  });

  it('a non-idempotent producer writes the re-sent batch twice (the fault is real)', async () => {
    const { kafka, proxy } = await lossyKafka(plainConfig);
    const producer = createProducer(kafka, { idempotent: false });
    await producer.connect();
    await producer.send({ topic: plainConfig.topics.events.name, acks: -1, messages: [{ key: 'retry-1', value: 'one' }] });
    await producer.disconnect();
    expect(proxy.stats()).toMatchObject({ droppedResponses: 1 });
    expect(proxy.stats().produceRequests).toBeGreaterThanOrEqual(2);
    expect(await recordsOn(createKafka(plainConfig, testLogger), plainConfig.topics.events.name)).toBe(2);
  });

  it('the SDK\'s idempotent producer leaves one record for the same fault', async () => {
    const { kafka, proxy } = await lossyKafka(sdkConfig);
    const t = await createAgentTelemetry({ agentId: 'retry-1', agentRole: 'support', keyring, config: sdkConfig, kafka, logger: testLogger, killSwitch: false, lingerMs: 1 });
    await t.emit({ action: 'data.read', resource: 'crm.customers', records: 3 });
    await t.flush();
    expect(t.stats()).toMatchObject({ emitted: 1, sent: 1 });
    await t.close();
    expect(proxy.stats()).toMatchObject({ droppedResponses: 1 });
    expect(proxy.stats().produceRequests).toBeGreaterThanOrEqual(2);
    expect(await recordsOn(createKafka(sdkConfig, testLogger), sdkConfig.topics.events.name)).toBe(1);
  });
});
