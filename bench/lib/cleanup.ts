/** Removes what a benchmark created on the shared stack, and nothing else. */
import type { WardenConfig } from '../../shared/config/index.js';
import { deleteKeysWithPrefix as deleteRunKeys } from '../../shared/redis/cleanup.js';

/** Deletes every Redis key under `prefix` (a prefix unique to the run; refuses a short or generic one). */
export async function deleteKeysWithPrefix(config: WardenConfig, prefix: string): Promise<number> {
  if (!/^warden-bench:[a-z-]+-[0-9a-f]{6,}:$/.test(prefix)) throw new Error(`refusing to delete keys under ${JSON.stringify(prefix)}: not a benchmark run's own prefix`);
  return deleteRunKeys(config, prefix);
}
