/** Removes what a benchmark created on the shared stack, and nothing else. */
import type { WardenConfig } from '../../shared/config/index.js';
import { createRedis } from '../../shared/redis/index.js';

/** Deletes every Redis key under `prefix` (a prefix unique to the run; refuses a short or generic one). */
export async function deleteKeysWithPrefix(config: WardenConfig, prefix: string): Promise<number> {
  if (!/^warden-bench:[a-z-]+-[0-9a-f]{6,}:$/.test(prefix)) throw new Error(`refusing to delete keys under ${JSON.stringify(prefix)}: not a benchmark run's own prefix`);
  const raw = createRedis(config, { keyPrefix: '' });
  let cursor = '0';
  let deleted = 0;
  try {
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await raw.del(...keys);
    } while (cursor !== '0');
  } finally {
    await raw.quit();
  }
  return deleted;
}
