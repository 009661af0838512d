/**
 * A local Redis Cluster for `warden stack up --redis-cluster` and the cluster
 * tests: three masters (`redis-server --cluster-enabled yes`) on free ports,
 * joined by `redis-cli --cluster create`, nothing kept on disk but each node's
 * nodes.conf under the stack's data folder. Stopped by pid file like every
 * stack daemon. Beside the single Redis, never instead of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { StackError } from '../../shared/errors/index.js';
import type { Progress } from './maven.js';
import type { StackPaths } from './paths.js';
import { freePort, requireTool, startDaemon, stopDaemon, waitFor, type Daemon } from './process.js';
import { redisPing } from './redis.js';

export const CLUSTER_MASTERS = 3;

export function redisClusterDaemons(paths: StackPaths, masters = CLUSTER_MASTERS): Daemon[] {
  return Array.from({ length: masters }, (_, i) => ({ name: `redis-cluster-${i}`, pidFile: join(paths.run, `redis-cluster-${i}.pid`), logFile: join(paths.logs, `redis-cluster-${i}.log`) }));
}

/** true when every node answers and reports cluster_state:ok with all 16384 slots assigned. */
export async function redisClusterOk(nodes: string[]): Promise<boolean> {
  for (const node of nodes) {
    const client = new Redis(`redis://${node}`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const info = String(await client.call('CLUSTER', 'INFO'));
      if (!/cluster_state:ok/.test(info) || !/cluster_slots_assigned:16384/.test(info)) return false;
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
  return nodes.length > 0;
}

/** Starts `masters` cluster-enabled servers on free ports and creates the cluster; returns its nodes (host:port). */
export async function startRedisCluster(paths: StackPaths, progress: Progress, masters = CLUSTER_MASTERS): Promise<{ nodes: string[]; pids: number[] }> {
  const server = requireTool('redis-server', 'install Redis (apt-get install redis-server)');
  const cli = requireTool('redis-cli', 'install the Redis tools (apt-get install redis-tools)');
  const daemons = redisClusterDaemons(paths, masters);
  const nodes: string[] = [];
  const pids: number[] = [];
  for (const [i, d] of daemons.entries()) {
    const port = await freePort();
    // nodes.conf is the node's cluster identity: a fresh folder per start, so an old identity never leaks in.
    const dir = join(paths.data, `redis-cluster-${i}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    pids.push(
      startDaemon(d, server, [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no', '--dir', dir,
      ]),
    );
    nodes.push(`127.0.0.1:${port}`);
  }
  await Promise.all(nodes.map((n, i) => waitFor(`redis cluster node ${n}`, () => redisPing(`redis://${n}`), 20_000, daemons[i]!.logFile)));
  const created = spawnSync(cli, ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
  if (created.status !== 0) {
    await stopRedisCluster(paths, masters);
    throw new StackError('stack.timeout', `redis-cli --cluster create failed (exit ${created.status}): ${(created.stderr || created.stdout).trim().split('\n').slice(-3).join(' ')}`);
  }
  await waitFor('redis cluster (cluster_state:ok)', () => redisClusterOk(nodes), 30_000, daemons[0]!.logFile);
  progress(`redis cluster: ${masters} masters on ${nodes.join(', ')} (pids ${pids.join(', ')})`);
  return { nodes, pids };
}

/** Stops the cluster's nodes that this stack started; true when any was running. */
export async function stopRedisCluster(paths: StackPaths, masters = CLUSTER_MASTERS): Promise<boolean> {
  const stopped = await Promise.all(redisClusterDaemons(paths, masters).map((d) => stopDaemon(d, 10_000)));
  return stopped.some(Boolean);
}
