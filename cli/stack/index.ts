/**
 * `warden stack up|down|status`: a real Kafka, schema registry and Redis on
 * 127.0.0.1 without Docker. Idempotent: `up` finds what already runs and
 * starts only what is missing; `down` stops only what `up` started.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { WardenConfig } from '../../shared/config/index.js';
import { StackError } from '../../shared/errors/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { kafkaDaemon, startKafka } from './kafka.js';
import type { Progress } from './maven.js';
import { stackPaths, type StackPaths } from './paths.js';
import { alive, httpOk, portOpen, readPid, stopDaemon, waitFor, type Daemon } from './process.js';
import { redisDaemon, redisPing, startRedis } from './redis.js';
import { redisClusterOk, startRedisCluster, stopRedisCluster } from './redisCluster.js';
import { registryDaemon, registryUrl, startRegistry } from './registry.js';

export type Component = 'kafka' | 'registry' | 'redis' | 'redis-cluster';

export interface StackState {
  kafkaBrokers: string[];
  registryUrl: string;
  redisUrl: string;
  /** With `--redis-cluster`: the seed nodes of a local 3-master Redis Cluster (use with WARDEN_REDIS_CLUSTER_NODES). */
  redisClusterNodes?: string[];
  /** Components this stack started itself (and `down` will stop). */
  started: Component[];
  versions: Partial<Record<Component, string>>;
}

export interface UpResult extends StackState { startedNow: Component[]; elapsedMs: number }

async function kafkaAnswers(config: WardenConfig): Promise<boolean> {
  const admin = createKafka({ ...config, kafka: { ...config.kafka, brokers: [`127.0.0.1:${config.stack.kafkaPort}`], connectionTimeoutMs: 1000 } }, createLogger('stack', { level: 'silent' })).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function ours(d: Daemon): boolean {
  const pid = readPid(d.pidFile);
  return pid !== null && alive(pid);
}

function readState(paths: StackPaths): Partial<StackState> {
  if (!existsSync(paths.stateFile)) return {};
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as Partial<StackState>;
  } catch {
    return {};
  }
}

export interface UpOptions {
  /** Also start a local Redis Cluster (three masters) beside the single Redis, which stays the default. */
  redisCluster?: boolean;
}

export async function stackUp(config: WardenConfig, progress: Progress = () => undefined, options: UpOptions = {}): Promise<UpResult> {
  const t0 = Date.now();
  const paths = stackPaths(config);
  const previous = readState(paths);
  const startedNow: Component[] = [];
  const started = new Set<Component>((previous.started ?? []).filter((c) => (c === 'redis-cluster' ? previous.redisClusterNodes !== undefined : ours({ kafka: kafkaDaemon, registry: registryDaemon, redis: redisDaemon }[c](paths)))));
  const versions = { ...previous.versions };
  const s = config.stack;

  // Kafka and the registry are independent JVMs: start them side by side.
  const kafkaJob = (async () => {
    if (await kafkaAnswers(config)) return progress(`kafka: already running on 127.0.0.1:${s.kafkaPort}`);
    if (ours(kafkaDaemon(paths))) {
      progress('kafka: starting (started earlier), waiting until it answers');
    } else {
      for (const p of [s.kafkaPort, s.controllerPort]) {
        if (await portOpen(p)) throw new StackError('stack.port-taken', `port ${p} is taken by something that is not Kafka: free it or set WARDEN_STACK_KAFKA_PORT / WARDEN_STACK_CONTROLLER_PORT`);
      }
      versions.kafka = (await startKafka(config, paths, progress)).version;
      started.add('kafka');
      startedNow.push('kafka');
    }
    await waitFor('kafka', () => kafkaAnswers(config), s.readyTimeoutMs, `${paths.logs}/kafka.log`);
    progress(`kafka: ready on 127.0.0.1:${s.kafkaPort}`);
  })();

  const registryJob = (async () => {
    const url = registryUrl(config);
    if (await httpOk(`${url}/subjects`)) return progress(`registry: already running at ${url}`);
    if (!ours(registryDaemon(paths))) {
      if (await portOpen(s.registryPort)) throw new StackError('stack.port-taken', `port ${s.registryPort} is taken by something that is not a schema registry: free it or set WARDEN_STACK_REGISTRY_PORT`);
      versions.registry = (await startRegistry(config, paths, progress)).version;
      started.add('registry');
      startedNow.push('registry');
    }
    await waitFor('schema registry', () => httpOk(`${url}/subjects`), s.readyTimeoutMs, registryDaemon(paths).logFile);
    progress(`registry: ready at ${url}`);
  })();

  const redisJob = (async (): Promise<string> => {
    const standard = `redis://127.0.0.1:${s.redisPort}`;
    if (await redisPing(standard)) {
      progress(`redis: using the server on 127.0.0.1:${s.redisPort}`);
      return standard;
    }
    if (previous.redisUrl && ours(redisDaemon(paths)) && (await redisPing(previous.redisUrl))) return previous.redisUrl;
    const { url } = await startRedis(config, paths, progress);
    started.add('redis');
    startedNow.push('redis');
    return url;
  })();

  const clusterJob = (async (): Promise<string[] | undefined> => {
    if (previous.redisClusterNodes && (await redisClusterOk(previous.redisClusterNodes))) {
      if (options.redisCluster) progress(`redis cluster: already running on ${previous.redisClusterNodes.join(', ')}`);
      return previous.redisClusterNodes;
    }
    started.delete('redis-cluster');
    if (!options.redisCluster) return undefined;
    const { nodes } = await startRedisCluster(paths, progress);
    started.add('redis-cluster');
    startedNow.push('redis-cluster');
    return nodes;
  })();

  const results = await Promise.allSettled([kafkaJob, registryJob, redisJob, clusterJob]);
  const clusterNodes = results[3].status === 'fulfilled' ? results[3].value : undefined;
  const state: StackState = {
    kafkaBrokers: [`127.0.0.1:${s.kafkaPort}`],
    registryUrl: registryUrl(config),
    redisUrl: results[2].status === 'fulfilled' ? results[2].value : `redis://127.0.0.1:${s.redisPort}`,
    ...(clusterNodes ? { redisClusterNodes: clusterNodes } : {}),
    started: [...started],
    versions,
  };
  writeFileSync(paths.stateFile, JSON.stringify(state, null, 2));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { ...state, startedNow, elapsedMs: Date.now() - t0 };
}

/** Stops what this stack started (or only the given components). */
export async function stackDown(config: WardenConfig, progress: Progress = () => undefined, only?: Component[]): Promise<Component[]> {
  const paths = stackPaths(config);
  const daemons: Record<Exclude<Component, 'redis-cluster'>, Daemon> = { kafka: kafkaDaemon(paths), registry: registryDaemon(paths), redis: redisDaemon(paths) };
  const stopped: Component[] = [];
  await Promise.all([
    ...(Object.keys(daemons) as (keyof typeof daemons)[])
      .filter((c) => !only || only.includes(c))
      .map(async (c) => {
        if (await stopDaemon(daemons[c])) {
          stopped.push(c);
          progress(`${c}: stopped`);
        }
      }),
    (async () => {
      if ((!only || only.includes('redis-cluster')) && (await stopRedisCluster(paths))) {
        stopped.push('redis-cluster');
        progress('redis-cluster: stopped');
      }
    })(),
  ]);
  const state = readState(paths);
  if (stopped.includes('redis-cluster')) delete state.redisClusterNodes;
  const remaining = (state.started ?? []).filter((c) => (c === 'redis-cluster' ? state.redisClusterNodes !== undefined : !stopped.includes(c) && ours(daemons[c])));
  if (remaining.length === 0) rmSync(paths.stateFile, { force: true });
  else writeFileSync(paths.stateFile, JSON.stringify({ ...state, started: remaining }, null, 2));
  return stopped;
}

export interface ComponentStatus { component: Component; up: boolean; endpoint: string; managed: boolean; version?: string }

export async function stackStatus(config: WardenConfig): Promise<ComponentStatus[]> {
  const paths = stackPaths(config);
  const state = readState(paths);
  const redisUrl = state.redisUrl ?? `redis://127.0.0.1:${config.stack.redisPort}`;
  return [
    { component: 'kafka', up: await kafkaAnswers(config), endpoint: `127.0.0.1:${config.stack.kafkaPort}`, managed: ours(kafkaDaemon(paths)), version: state.versions?.kafka },
    { component: 'registry', up: await httpOk(`${registryUrl(config)}/subjects`), endpoint: registryUrl(config), managed: ours(registryDaemon(paths)), version: state.versions?.registry },
    { component: 'redis', up: await redisPing(redisUrl), endpoint: redisUrl, managed: ours(redisDaemon(paths)) },
    ...(state.redisClusterNodes
      ? [{ component: 'redis-cluster' as const, up: await redisClusterOk(state.redisClusterNodes), endpoint: state.redisClusterNodes.join(','), managed: true }]
      : []),
  ];
}
