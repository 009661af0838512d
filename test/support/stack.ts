/** Helpers for integration tests: a config with topic names of their own, so tests never see each other's records. */
import { randomUUID } from 'node:crypto';
import { loadConfig, type WardenConfig } from '../../shared/config/index.js';
import { createKafka, provisionTopics as provision } from '../../shared/kafka/index.js';
import { createLogger } from '../../shared/logging/index.js';

export const testLogger = createLogger('test', { level: process.env.WARDEN_LOG_LEVEL ?? 'warn' });

/**
 * Every Redis key a test run makes lives under `warden-test:<run>:`, and the global setup deletes that prefix
 * when the run ends: nothing is left behind, and concurrent runs never delete each other's keys.
 */
export function testKeyPrefix(): string {
  return `warden-test:${process.env.WARDEN_TEST_RUN_ID ?? 'adhoc'}:`;
}

export function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}

/** A config whose topics (and Redis prefix) are unique to this test. */
export function isolatedConfig(label: string, partitions?: Partial<Record<keyof WardenConfig['topics'], number>>): WardenConfig {
  const base = loadConfig();
  const s = `${label}-${uniqueSuffix()}`;
  const topics = Object.fromEntries(
    Object.entries(base.topics).map(([k, t]) => [k, { ...t, name: `${t.name}.${s}`, partitions: partitions?.[k as keyof WardenConfig['topics']] ?? Math.min(t.partitions, 3) }]),
  ) as WardenConfig['topics'];
  return { ...base, topics, redis: { ...base.redis, keyPrefix: `${testKeyPrefix()}${s}:` }, logging: { level: 'warn' } };
}

export async function provisionTopics(config: WardenConfig): Promise<void> {
  await provision(createKafka(config, testLogger), config);
}

/** Polls until `check` holds or the deadline passes (no blind sleeps). */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
