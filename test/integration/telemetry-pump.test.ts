/**
 * The SDK's sender after its linger timer fires on a buffer that a full batch already drained (the MCP
 * gateway does this at every burst of calls). The old #pump stored a settled promise as "sending" in that
 * case: nothing was sent again, and flush() spun the CPU forever (found by bench/mcp-latency.ts: a gateway
 * at 100% CPU that SIGTERM could not stop). Real Kafka and registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../shared/signing/index.js';
import { createAgentTelemetry, type AgentTelemetry } from '../../shared/telemetry/index.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const config = isolatedConfig('sdk-pump');
const keyring = new Keyring({ 'pump-1': { k1: 'pump-1-secret-0123456789abc' } });
let t: AgentTelemetry;

describe('SDK sender after an idle linger', () => {
  beforeAll(async () => {
    await provisionTopics(config);
    t = await createAgentTelemetry({ agentId: 'pump-1', agentRole: 'support', keyring, config, logger: testLogger, killSwitch: false, lingerMs: 50, maxBatchSize: 2 });
  });
  afterAll(async () => t?.close({ timeoutMs: 5000 }));

  it('keeps sending after the linger timer fired on an empty buffer, and flush() ends', async () => {
    // The first emit arms the linger timer; the second fills a batch, which is sent at once and empties the buffer.
    await t.emit({ action: 'data.read', resource: 'a' });
    await t.emit({ action: 'data.read', resource: 'b' });
    await eventually(() => t.stats().sent === 2, 10_000, 'the full batch sent');
    // Let the timer armed by the first emit fire on the (now empty) buffer.
    await new Promise((r) => setTimeout(r, 120));
    await t.emit({ action: 'data.read', resource: 'c' });
    await eventually(() => t.stats().sent === 3, 10_000, 'the event after the idle linger sent');
    const flushed = await Promise.race([t.flush().then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    expect(flushed).toBe(true);
  });
});
