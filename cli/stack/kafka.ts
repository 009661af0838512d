/**
 * Apache Kafka 3.9.x, one KRaft node (broker + controller), from the official
 * jars. Storage is formatted once with a static controller.quorum.voters.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WardenConfig } from '../../shared/config/index.js';
import { StackError } from '../../shared/errors/index.js';
import { firstAvailable, runMaven, type Progress } from './maven.js';
import type { StackPaths } from './paths.js';
import { requireTool, startDaemon, waitFor, portOpen, type Daemon } from './process.js';

// The pom sits beside this file in the source tree; from dist/ it is found in the source tree next to it.
const HERE = dirname(fileURLToPath(import.meta.url));
const POM = [join(HERE, 'kafka.pom.xml'), join(HERE, '../../../cli/stack/kafka.pom.xml')].find((p) => existsSync(p)) ?? join(HERE, 'kafka.pom.xml');

export function kafkaDaemon(paths: StackPaths): Daemon {
  return { name: 'kafka', pidFile: join(paths.run, 'kafka.pid'), logFile: join(paths.logs, 'kafka.out') };
}

function libsDir(paths: StackPaths, version: string): string {
  return join(paths.cache, `kafka-${version}`, 'libs');
}

/** Returns the jar folder of the first Kafka version that is cached or that Maven serves. */
export async function resolveKafka(config: WardenConfig, paths: StackPaths, progress: Progress): Promise<{ version: string; libs: string }> {
  const cached = config.stack.kafkaVersions.find((v) => existsSync(join(libsDir(paths, v), `kafka_2.13-${v}.jar`)));
  if (cached) return { version: cached, libs: libsDir(paths, cached) };
  requireTool('mvn', 'install Maven 3.8+ (apt-get install maven)');
  progress(`kafka: resolving the broker jars with Maven into ${paths.cache} (first run only; a few minutes on a cold cache)`);
  const version = await firstAvailable('kafka', config.stack.kafkaVersions, (v) =>
    runMaven(['-f', POM, `-Dkafka.version=${v}`, `-Dout=${libsDir(paths, v)}`, 'dependency:copy-dependencies'], `kafka ${v}`, progress), progress);
  return { version, libs: libsDir(paths, version) };
}

function serverProperties(config: WardenConfig, dataDir: string): string {
  const s = config.stack;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${s.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${s.kafkaPort},CONTROLLER://127.0.0.1:${s.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${s.kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ...singleNodeProperties(dataDir),
  ].join('\n');
}

/** What every local single-node KRaft server shares (the plain and the secure stack). */
export function singleNodeProperties(dataDir: string): string[] {
  return [
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    // A single node: every internal topic has one replica.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=12',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Compaction of agent.quarantine should be visible within seconds locally.
    'log.cleaner.backoff.ms=5000',
    '',
  ];
}

/** log4j for a local server: one file under `logDir`, chatty loggers turned down (`extra`: more lines). */
export const kafkaLog4j = (logDir: string, extra: string[] = []) => `log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${logDir}/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
${extra.map((l) => `${l}\n`).join('')}`;


/**
 * A random KRaft cluster id (16 bytes, base64url) that does not start with '-': the storage tool's argument
 * parser reads such a value as an option (one id in 64 did, and the stack failed to start). Kafka's own
 * Uuid.randomUuid skips them for the same reason.
 */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function startKafka(config: WardenConfig, paths: StackPaths, progress: Progress): Promise<{ version: string; pid: number }> {
  const java = requireTool('java', 'install a JDK 17+ (apt-get install openjdk-17-jre-headless)');
  const { version, libs } = await resolveKafka(config, paths, progress);
  const dataDir = join(paths.data, 'kafka');
  mkdirSync(dataDir, { recursive: true });
  const props = join(paths.dir, 'server.properties');
  writeFileSync(props, serverProperties(config, dataDir));
  const log4j = join(paths.dir, 'kafka-log4j.properties');
  writeFileSync(log4j, kafkaLog4j(paths.logs));
  const classpath = `${libs}/*`;
  const jvm = [`-Xmx${config.stack.kafkaHeapMb}m`, '-Xms128m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${log4j}`, `-Dkafka.logs.dir=${paths.logs}`, '-cp', classpath];

  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const clusterId = kafkaClusterId();
    const r = spawnSync(java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '--ignore-formatted'], { encoding: 'utf8' });
    if (r.status !== 0) throw new StackError('stack.timeout', `kafka storage format failed: ${(r.stderr || r.stdout).slice(-500)}`);
    progress(`kafka: formatted storage (cluster ${clusterId})`);
  }
  const pid = startDaemon(kafkaDaemon(paths), java, [...jvm, 'kafka.Kafka', props]);
  progress(`kafka ${version}: started (pid ${pid}), waiting for 127.0.0.1:${config.stack.kafkaPort}`);
  await waitFor('kafka', () => portOpen(config.stack.kafkaPort), config.stack.readyTimeoutMs, join(paths.logs, 'kafka.log'));
  return { version, pid };
}
