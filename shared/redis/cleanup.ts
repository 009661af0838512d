/**
 * What a run (the demo, a test run, a benchmark) leaves behind in Redis: every
 * key it wrote carries the run's own prefix, so removing them is one SCAN over
 * that prefix (never KEYS, never a wider pattern: other runs share the server).
 * On a Redis Cluster the SCAN runs on every master (each holds its own slots).
 * The one way to clean up; callers may add a stricter check of the prefix.
 */
import type { WardenConfig } from '../config/index.js';
import { createRedis, isCluster, type SingleRedis } from './index.js';

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
    const servers: SingleRedis[] = isCluster(redis) ? redis.nodes('master') : [redis];
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', literalPattern(prefix), 'COUNT', 500);
        cursor = next;
        if (keys.length === 0) continue;
        if (!isCluster(redis)) {
          deleted += await server.unlink(...keys);
          continue;
        }
        // A cluster node refuses a multi-key UNLINK across slots: one per key, pipelined (the node owns them all).
        const pipe = server.pipeline();
        for (const key of keys) pipe.unlink(key);
        for (const [err, n] of (await pipe.exec()) ?? []) if (!err) deleted += Number(n);
      } while (cursor !== '0');
    }
  } finally {
    await redis.quit();
  }
  return deleted;
}
