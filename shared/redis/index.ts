/**
 * The Redis client factory: URL, ACL user (username + password) and TLS
 * (rediss://, with the CA from `redis.tls.ca`) are configuration only.
 */
import { Redis } from 'ioredis';
import { readPemFile } from '../config/files.js';
import type { WardenConfig } from '../config/index.js';

export type { Redis };

export function createRedis(config: WardenConfig, options: { keyPrefix?: string } = {}): Redis {
  const r = config.redis;
  // The schema allows `redis.tls` only with a rediss:// url; without it, rediss:// uses the system CAs.
  const tls = r.tls ? { tls: { rejectUnauthorized: r.tls.rejectUnauthorized, ...(r.tls.ca ? { ca: [readPemFile('redis.tls.ca', r.tls.ca)] } : {}) } } : {};
  return new Redis(r.url, {
    keyPrefix: options.keyPrefix ?? r.keyPrefix,
    ...(r.username ? { username: r.username } : {}),
    ...(r.password ? { password: r.password } : {}),
    ...tls,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true,
    lazyConnect: false,
  });
}
