/**
 * The secure stack's Kafka: one KRaft node with a SASL_SSL listener
 * (SCRAM-SHA-512, users created when the storage is formatted) for clients and
 * inter-broker traffic, a controller listener with mutual TLS (KRaft cannot
 * authenticate a controller with SCRAM), the StandardAuthorizer with nothing
 * allowed unless an ACL says so, and two super users: `admin` (bootstrap of
 * topics and ACLs) and the broker's own certificate.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { WardenConfig } from '../../shared/config/index.js';
import { StackError } from '../../shared/errors/index.js';
import { writePrivate, KAFKA_PRINCIPALS, type Credentials } from './credentials.js';
import { kafkaClusterId, kafkaDaemon, kafkaLog4j, resolveKafka, singleNodeProperties } from './kafka.js';
import type { Progress } from './maven.js';
import type { StackPaths } from './paths.js';
import { portOpen, requireTool, startDaemon, waitFor } from './process.js';
import { STACK_CERT_SUBJECT, type TlsFiles } from './tls.js';

function serverProperties(config: WardenConfig, dataDir: string, tls: TlsFiles, credentials: Credentials): string {
  const s = config.stack;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${s.secureControllerPort}`,
    `listeners=SASL_SSL://127.0.0.1:${s.secureKafkaPort},CONTROLLER://127.0.0.1:${s.secureControllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${s.secureKafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_SSL',
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    // The broker's own login on its inter-broker listener.
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${credentials.kafka.admin}";`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${tls.keystore}`,
    `ssl.keystore.password=${credentials.keystorePassword}`,
    `ssl.key.password=${credentials.keystorePassword}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${tls.caCert}`,
    'ssl.endpoint.identification.algorithm=https',
    'listener.name.controller.ssl.client.auth=required',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=User:admin;User:${STACK_CERT_SUBJECT}`,
    ...singleNodeProperties(dataDir),
  ].join('\n');
}


/**
 * Formats the storage with every principal's SCRAM credential. The arguments go through a java
 * @argfile (0600, removed afterwards), so no password shows in the process list.
 */
function format(java: string, jvm: string[], props: string, paths: StackPaths, credentials: Credentials): string {
  const clusterId = kafkaClusterId();
  const scram = KAFKA_PRINCIPALS.flatMap((p) => ['--add-scram', `"SCRAM-SHA-512=[name=${p},password=${credentials.kafka[p]}]"`]);
  const argFile = join(paths.run, 'kafka-format.args');
  writePrivate(argFile, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, ...scram].join('\n'));
  try {
    const r = spawnSync(java, [`@${argFile}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new StackError('stack.timeout', `kafka storage format failed: ${(r.stderr || r.stdout).slice(-500)}`);
  } finally {
    rmSync(argFile, { force: true });
  }
  return clusterId;
}

/**
 * Starts the broker. `freshCredentials`: the passwords were just generated, so storage formatted
 * with older ones is wiped (the secure stack holds nothing worth keeping).
 */
export async function startSecureKafka(config: WardenConfig, paths: StackPaths, tls: TlsFiles, credentials: Credentials, freshCredentials: boolean, progress: Progress): Promise<{ version: string; pid: number }> {
  const java = requireTool('java', 'install a JDK 17+ (apt-get install openjdk-17-jre-headless)');
  const { version, libs } = await resolveKafka(config, paths, progress);
  const dataDir = join(paths.data, 'kafka');
  if (freshCredentials) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const props = join(paths.dir, 'server.properties');
  writePrivate(props, serverProperties(config, dataDir, tls, credentials)); // holds the admin and keystore passwords
  const log4j = join(paths.dir, 'kafka-log4j.properties');
  writePrivate(log4j, kafkaLog4j(paths.logs, ['log4j.logger.kafka.authorizer.logger=WARN']));
  const jvm = [`-Xmx${config.stack.kafkaHeapMb}m`, '-Xms128m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${log4j}`, `-Dkafka.logs.dir=${paths.logs}`, '-cp', `${libs}/*`];
  if (!existsSync(join(dataDir, 'meta.properties'))) progress(`kafka (secure): formatted storage with ${KAFKA_PRINCIPALS.length} SCRAM users (cluster ${format(java, jvm, props, paths, credentials)})`);
  const pid = startDaemon(kafkaDaemon(paths), java, [...jvm, 'kafka.Kafka', props]);
  progress(`kafka ${version} (secure): started (pid ${pid}), waiting for 127.0.0.1:${config.stack.secureKafkaPort}`);
  await waitFor('kafka (secure)', () => portOpen(config.stack.secureKafkaPort), config.stack.readyTimeoutMs, join(paths.logs, 'kafka.log'));
  return { version, pid };
}
