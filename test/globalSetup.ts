/**
 * Integration tests run against the real local stack. Start what is not
 * running (first run downloads the jars), and afterwards stop only what this
 * run started: a stack the developer started stays up.
 */
import { randomUUID } from 'node:crypto';
import { stackDown, stackUp } from '../cli/stack/index.js';
import { loadConfig } from '../shared/config/index.js';
import { deleteKeysWithPrefix } from '../shared/redis/cleanup.js';
import { testKeyPrefix } from './support/stack.js';

export default async function setup(): Promise<() => Promise<void>> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  process.env.WARDEN_TEST_RUN_ID ??= randomUUID().slice(0, 8);
  const config = loadConfig();
  const log = (line: string) => console.log(`[stack] ${line}`);
  const r = await stackUp(config, log);
  // Workers read endpoints from .warden/stack.json through loadConfig(); the env makes it explicit.
  process.env.WARDEN_REDIS_URL = r.redisUrl;
  return async () => {
    await deleteRunKeys(r.redisUrl).catch((err: Error) => console.log(`[stack] could not delete this run's Redis keys: ${err.message}`));
    if (r.startedNow.length > 0 && process.env.WARDEN_KEEP_STACK !== '1') await stackDown(config, log, r.startedNow);
  };
}

/** Deletes every key this run's tests made (they all live under testKeyPrefix()). */
async function deleteRunKeys(redisUrl: string): Promise<void> {
  const config = loadConfig();
  const deleted = await deleteKeysWithPrefix({ ...config, redis: { ...config.redis, url: redisUrl } }, testKeyPrefix());
  console.log(`[stack] deleted ${deleted} Redis keys under ${testKeyPrefix()}`);
}
