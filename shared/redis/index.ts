/** The Redis client factory: URL, AUTH and TLS (rediss://) are configuration only. */
import { Redis } from 'ioredis';
import type { WardenConfig } from '../config/index.js';

export type { Redis };

export function createRedis(config: WardenConfig, options: { keyPrefix?: string } = {}): Redis {
  return new Redis(config.redis.url, {
    keyPrefix: options.keyPrefix ?? config.redis.keyPrefix,
    ...(config.redis.password ? { password: config.redis.password } : {}),
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true,
    lazyConnect: false,
  });
}
