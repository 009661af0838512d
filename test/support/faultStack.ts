/**
 * A throwaway Kafka broker and Redis of one test file, on free ports and in a
 * folder of their own, that the file may restart: the shared stack (Kafka on
 * 9092, Redis on 6379) is used by everyone else's tests and is never touched.
 * Kafka is the stack's own single KRaft node (cli/stack/kafka.ts) on other
 * ports; its data survives a restart (a SIGKILL leaves the log in the page cache, as a process crash does). Redis keeps an append-only file
 * (fsync always), as a production Redis holding detector state would, so a
 * restart loses nothing that was acknowledged. The schema registry is the
 * shared one (not restarted here).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaDaemon, startKafka } from '../../cli/stack/kafka.js';
import { stackPaths, type StackPaths } from '../../cli/stack/paths.js';
import { alive, freePort, portOpen, readPid, requireTool, startDaemon, stopDaemon, waitFor, type Daemon } from '../../cli/stack/process.js';
import { redisPing } from '../../cli/stack/redis.js';
import { createKafka } from '../../shared/kafka/index.js';
import { loadConfig, type WardenConfig } from '../../shared/config/index.js';
import { testLogger, uniqueSuffix } from './stack.js';

export interface FaultStack {
  /** `config` pointed at this broker and this Redis (topics and prefix unchanged). */
  use(config: WardenConfig): WardenConfig;
  /** Kills the broker (SIGKILL: no controlled shutdown, as in a crash), then `afterKill`, then starts it again on the same ports and data. */
  restartKafka(afterKill?: () => Promise<void>): Promise<void>;
  /** Stops Redis (SIGTERM: it syncs its AOF). */
  stopRedis(): Promise<void>;
  /** Starts it again on the same port and files. */
  startRedis(): Promise<void>;
  stop(): Promise<void>;
}

const log = (line: string) => console.log(`[fault stack] ${line}`);

function redisDaemon(paths: StackPaths): Daemon {
  return { name: 'redis', pidFile: join(paths.run, 'redis.pid'), logFile: join(paths.logs, 'redis.log') };
}

async function brokerAnswers(config: WardenConfig): Promise<boolean> {
  const admin = createKafka({ ...config, kafka: { ...config.kafka, connectionTimeoutMs: 1000 } }, testLogger).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function startFaultStack(): Promise<FaultStack> {
  const base = loadConfig();
  const dir = join(base.stack.dir, `fault-stack-${uniqueSuffix()}`);
  const [kafkaPort, controllerPort, redisPort] = [await freePort(), await freePort(), await freePort()];
  const config: WardenConfig = { ...base, stack: { ...base.stack, dir, kafkaPort, controllerPort, kafkaHeapMb: 512 } };
  const paths = stackPaths(config);
  const brokers = [`127.0.0.1:${kafkaPort}`];
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const withEndpoints = (c: WardenConfig): WardenConfig => ({ ...c, kafka: { ...c.kafka, brokers }, redis: { ...c.redis, url: redisUrl, cluster: undefined } });

  const upKafka = async () => {
    await startKafka(config, paths, log);
    await waitFor('fault-stack kafka', () => brokerAnswers(withEndpoints(base)), 120_000, join(paths.logs, 'kafka.log'));
  };
  const server = requireTool('redis-server', 'install Redis (apt-get install redis-server)');
  const upRedis = async () => {
    startDaemon(redisDaemon(paths), server, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', paths.data]);
    await waitFor('fault-stack redis', () => redisPing(redisUrl), 20_000, redisDaemon(paths).logFile);
  };
  await Promise.all([upKafka(), upRedis()]);
  log(`kafka on ${brokers[0]}, redis on ${redisUrl} (${dir})`);

  return {
    use: withEndpoints,
    restartKafka: async (afterKill) => {
      const pid = readPid(kafkaDaemon(paths).pidFile);
      if (pid !== null) process.kill(pid, 'SIGKILL');
      await waitFor('the fault-stack broker to exit', async () => pid === null || !alive(pid), 30_000);
      await afterKill?.();
      await waitFor('the fault-stack broker port to close', async () => !(await portOpen(kafkaPort)), 30_000);
      log('kafka stopped; starting it again');
      await upKafka();
    },
    stopRedis: async () => {
      await stopDaemon(redisDaemon(paths));
      log('redis stopped');
    },
    startRedis: async () => {
      await upRedis();
      log('redis started again');
    },
    stop: async () => {
      await Promise.all([stopDaemon(kafkaDaemon(paths)), stopDaemon(redisDaemon(paths))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
