/**
 * The Redis client factory: one server (`redis.url`) or a Redis Cluster
 * (`redis.cluster.nodes`); ACL user (username + password) and TLS (rediss://,
 * or `redis.tls` for a cluster, with the CA from `redis.tls.ca`) are
 * configuration only. Callers get one type, `Redis`, whichever it is: both
 * speak the same commands. On a cluster a MULTI (and MGET) must stay in one
 * hash slot: keys that go together share a `{tag}` (see services/detector/stateStore.ts).
 */
import { Cluster, Redis as SingleRedis, type ClusterNode, type RedisOptions } from 'ioredis';
import { readPemFile } from '../config/files.js';
import type { WardenConfig } from '../config/index.js';

/** A client of one server or of a cluster (the commands the services use are the same). */
export type Redis = SingleRedis | Cluster;
export { Cluster, SingleRedis };

export function isCluster(redis: Redis): redis is Cluster {
  return redis instanceof Cluster;
}

export function createRedis(config: WardenConfig, options: { keyPrefix?: string } = {}): Redis {
  const r = config.redis;
  // The schema allows `redis.tls` only with a rediss:// url or a cluster; without it, rediss:// uses the system CAs.
  const tls = r.tls ? { tls: { rejectUnauthorized: r.tls.rejectUnauthorized, ...(r.tls.ca ? { ca: [readPemFile('redis.tls.ca', r.tls.ca)] } : {}) } } : {};
  const common: RedisOptions = {
    ...(r.username ? { username: r.username } : {}),
    ...(r.password ? { password: r.password } : {}),
    ...tls,
    maxRetriesPerRequest: 3,
  };
  const keyPrefix = options.keyPrefix ?? r.keyPrefix;
  if (r.cluster) {
    const nodes: ClusterNode[] = r.cluster.nodes.map((n) => {
      const i = n.lastIndexOf(':');
      return { host: n.slice(0, i), port: Number(n.slice(i + 1)) };
    });
    return new Cluster(nodes, {
      keyPrefix,
      redisOptions: common,
      // Auto-pipelining groups commands per slot on a cluster: a batch's MGET and a checkpoint's MULTI stay whole.
      enableAutoPipelining: true,
      // A moved slot or a failover answers MOVED/ASK/CLUSTERDOWN: follow it and retry for a while, not fail the batch at once.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 500,
      retryDelayOnTryAgain: 200,
      lazyConnect: false,
    });
  }
  return new SingleRedis(r.url, { ...common, keyPrefix, enableAutoPipelining: true, lazyConnect: false });
}
