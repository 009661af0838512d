/**
 * What a run (the demo, a test run, a benchmark) leaves behind in Redis: every
 * key it wrote carries the run's own prefix, so removing them is one SCAN over
 * that prefix (never KEYS, never a wider pattern: other runs share the server).
 * The one way to clean up; callers may add a stricter check of the prefix.
 */
import type { WardenConfig } from '../config/index.js';
import { createRedis } from './index.js';

/** Glob characters in a prefix are matched literally. */
export function literalPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

/** Deletes the keys under `prefix` (a run's own redis.keyPrefix); returns how many. */
export async function deleteKeysWithPrefix(config: WardenConfig, prefix: string): Promise<number> {
  if (prefix.length < 8) throw new Error(`refusing to delete Redis keys under the short prefix ${JSON.stringify(prefix)}`);
  const redis = createRedis(config, { keyPrefix: '' });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', literalPattern(prefix), 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return deleted;
}
