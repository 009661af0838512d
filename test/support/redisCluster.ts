/**
 * A throwaway local Redis Cluster (three masters on free ports) for one test
 * file: started in a folder of its own under stack.dir, so it never touches
 * a cluster that `warden stack up --redis-cluster` runs, and stopped again by
 * the file (like test/support/secureStack.ts for the secure stack).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRedisCluster, stopRedisCluster } from '../../cli/stack/redisCluster.js';
import { stackPaths } from '../../cli/stack/paths.js';
import { loadConfig, type WardenConfig } from '../../shared/config/index.js';
import { uniqueSuffix } from './stack.js';

export interface RedisClusterHandle {
  nodes: string[];
  /** `config` with its Redis replaced by this cluster (same key prefix). */
  use(config: WardenConfig): WardenConfig;
  stop(): Promise<void>;
}

export async function startTestRedisCluster(): Promise<RedisClusterHandle> {
  const base = loadConfig();
  const dir = join(base.stack.dir, `redis-cluster-test-${uniqueSuffix()}`);
  const paths = stackPaths({ ...base, stack: { ...base.stack, dir } });
  const { nodes } = await startRedisCluster(paths, (line) => console.log(`[redis cluster] ${line}`));
  return {
    nodes,
    use: (config) => ({ ...config, redis: { ...config.redis, cluster: { nodes } } }),
    stop: async () => {
      await stopRedisCluster(paths);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
