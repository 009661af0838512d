/** Redis: the one on the configured port if it answers PING, else a redis-server of our own on a free port, keeping nothing on disk. */
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { WardenConfig } from '../../shared/config/index.js';
import type { StackPaths } from './paths.js';
import { freePort, requireTool, startDaemon, waitFor, type Daemon } from './process.js';
import type { Progress } from './maven.js';

export function redisDaemon(paths: StackPaths): Daemon {
  return { name: 'redis', pidFile: join(paths.run, 'redis.pid'), logFile: join(paths.logs, 'redis.log') };
}

/** PING, once, within a second; false on any refusal or when nothing answers. `auth`: user, password and TLS (the secure stack). */
export async function redisPing(url: string, auth: Pick<RedisOptions, 'username' | 'password' | 'tls'> = {}): Promise<boolean> {
  const client = new Redis(url, { ...auth, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function startRedis(config: WardenConfig, paths: StackPaths, progress: Progress): Promise<{ url: string; pid: number }> {
  const server = requireTool('redis-server', 'install Redis (apt-get install redis-server)');
  const port = await freePort();
  const pid = startDaemon(redisDaemon(paths), server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', paths.data]);
  const url = `redis://127.0.0.1:${port}`;
  progress(`redis: no server answered on ${config.stack.redisPort}; started redis-server on ${port} (pid ${pid})`);
  await waitFor('redis', () => redisPing(url), 20_000, redisDaemon(paths).logFile);
  return { url, pid };
}
