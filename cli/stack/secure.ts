/**
 * `warden stack up|down|status --secure`: a second local stack, beside the
 * plain one (own ports, own folder `<stack.dir>/secure`), with the pipeline's
 * own authentication: Kafka SASL_SSL + SCRAM-SHA-512 + ACLs per principal,
 * Redis TLS + ACL users, certificates from a local CA. The schema registry is
 * the plain one when it answers (Apicurio 3.0.9's auth needs an OIDC server).
 * Each principal's environment goes to `env/<principal>.env` (0600): the same
 * configuration keys a production cluster uses.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WardenConfig } from '../../shared/config/index.js';
import { StackError } from '../../shared/errors/index.js';
import { createKafka, ensureTopics } from '../../shared/kafka/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { grantGroupAcls, grantTopicAcls } from './acls.js';
import { isRedisUser, KAFKA_PRINCIPALS, loadOrCreateCredentials, readCredentials, writePrivate, type Credentials, type KafkaPrincipal } from './credentials.js';
import { kafkaDaemon } from './kafka.js';
import type { Progress } from './maven.js';
import { stackPaths, type StackPaths } from './paths.js';
import { alive, httpOk, portOpen, readPid, stopDaemon, waitFor, type Daemon } from './process.js';
import { registryDaemon, registryUrl, startRegistry } from './registry.js';
import { startSecureKafka } from './secureKafka.js';
import { redisDaemon, secureRedisPing, startSecureRedis } from './secureRedis.js';
import { ensureTls, tlsFiles, type TlsFiles } from './tls.js';

export type Principal = KafkaPrincipal;
export type SecureComponent = 'kafka' | 'redis' | 'registry';

export interface SecureStackState {
  kafkaBrokers: string[];
  redisUrl: string;
  registryUrl: string;
  caCert: string;
  credentialsFile: string;
  envDir: string;
  started: SecureComponent[];
  versions: Partial<Record<SecureComponent, string>>;
}

export interface SecureUpResult extends SecureStackState { startedNow: SecureComponent[]; elapsedMs: number }

export function securePaths(config: WardenConfig): StackPaths & { tls: TlsFiles; credentialsFile: string; envDir: string } {
  const paths = stackPaths({ ...config, stack: { ...config.stack, dir: join(config.stack.dir, 'secure') } });
  const envDir = join(paths.dir, 'env');
  mkdirSync(envDir, { recursive: true });
  return { ...paths, tls: tlsFiles(join(paths.dir, 'tls')), credentialsFile: join(paths.dir, 'credentials.json'), envDir };
}

function daemons(paths: StackPaths): Record<SecureComponent, Daemon> {
  return { kafka: kafkaDaemon(paths), redis: redisDaemon(paths), registry: registryDaemon(paths) };
}

function ours(d: Daemon): boolean {
  const pid = readPid(d.pidFile);
  return pid !== null && alive(pid);
}

function readState(file: string): Partial<SecureStackState> {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<SecureStackState>) : {};
  } catch {
    return {};
  }
}

/** The environment of one principal: every value a service needs, passwords included (so it goes only to 0600 files). */
export function envFor(state: Pick<SecureStackState, 'kafkaBrokers' | 'redisUrl' | 'registryUrl' | 'caCert'>, credentials: Credentials, principal: Principal): Record<string, string> {
  const env: Record<string, string> = {
    WARDEN_KAFKA_BROKERS: state.kafkaBrokers.join(','),
    WARDEN_KAFKA_SSL: 'true',
    WARDEN_KAFKA_SSL_CA: state.caCert,
    WARDEN_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    WARDEN_KAFKA_SASL_USERNAME: principal,
    WARDEN_KAFKA_SASL_PASSWORD: credentials.kafka[principal],
    // Topics belong to the operator under ACLs; services only use them.
    WARDEN_KAFKA_MANAGE_TOPICS: principal === 'admin' || principal === 'operator' ? 'true' : 'false',
    WARDEN_REGISTRY_URL: state.registryUrl,
  };
  if (isRedisUser(principal)) {
    Object.assign(env, { WARDEN_REDIS_URL: state.redisUrl, WARDEN_REDIS_USERNAME: principal, WARDEN_REDIS_PASSWORD: credentials.redis[principal], WARDEN_REDIS_TLS_CA: state.caCert });
  }
  if (principal === 'detector') env.WARDEN_DETECTOR_NAME_HASH_SECRET = credentials.detectorNameHashSecret;
  return env;
}

/** The environment `stack up --secure` wrote for `principal` (for tests and tools that start services in-process). */
export function principalEnv(config: WardenConfig, principal: Principal): Record<string, string> {
  const paths = securePaths(config);
  const state = readState(paths.stateFile);
  if (!state.kafkaBrokers || !state.redisUrl || !state.registryUrl || !state.caCert) throw new StackError('stack.timeout', `the secure stack is not up (no ${paths.stateFile}): run \`warden stack up --secure\``);
  return envFor(state as SecureStackState, readCredentials(paths.credentialsFile), principal);
}

/** A config connected as `principal` (the bootstrap uses `admin`). */
function asPrincipal(config: WardenConfig, tls: TlsFiles, credentials: Credentials, principal: Principal): WardenConfig {
  return {
    ...config,
    kafka: {
      ...config.kafka, brokers: [`127.0.0.1:${config.stack.secureKafkaPort}`], connectionTimeoutMs: 3000,
      ssl: { ca: tls.caCert, rejectUnauthorized: true }, sasl: { mechanism: 'scram-sha-512', username: principal, password: credentials.kafka[principal] },
    },
  };
}

async function kafkaAnswers(admin: WardenConfig): Promise<boolean> {
  const client = createKafka(admin, createLogger('stack', { level: 'silent' })).admin({ retry: { retries: 0 } });
  try {
    await client.connect();
    return (await client.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

export async function secureStackUp(config: WardenConfig, progress: Progress = () => undefined): Promise<SecureUpResult> {
  const t0 = Date.now();
  const paths = securePaths(config);
  const d = daemons(paths);
  const previous = readState(paths.stateFile);
  const { credentials, created } = loadOrCreateCredentials(paths.credentialsFile);
  if (created) {
    // Servers still running with the old passwords would never accept the new ones.
    for (const c of ['kafka', 'redis'] as const) if (await stopDaemon(d[c])) progress(`${c} (secure): stopped (its credentials were replaced)`);
    progress(`credentials: generated into ${paths.credentialsFile} (mode 0600)`);
  }
  const tls = ensureTls(paths.tls.dir, credentials.keystorePassword, progress);
  const admin = asPrincipal(config, tls, credentials, 'admin');
  const s = config.stack;
  const started = new Set<SecureComponent>((previous.started ?? []).filter((c) => ours(d[c])));
  const startedNow: SecureComponent[] = [];
  const versions = { ...previous.versions };
  const mark = (c: SecureComponent) => { started.add(c); startedNow.push(c); };

  const kafkaJob = (async () => {
    const endpoint = `127.0.0.1:${s.secureKafkaPort}`;
    if (await kafkaAnswers(admin)) return progress(`kafka (secure): already running on ${endpoint}`);
    if (!ours(d.kafka)) {
      for (const p of [s.secureKafkaPort, s.secureControllerPort]) {
        if (await portOpen(p)) throw new StackError('stack.port-taken', `port ${p} is taken by something that is not this secure Kafka: free it or set WARDEN_STACK_SECURE_KAFKA_PORT / WARDEN_STACK_SECURE_CONTROLLER_PORT`);
      }
      versions.kafka = (await startSecureKafka(config, paths, tls, credentials, created, progress)).version;
      mark('kafka');
    }
    await waitFor('kafka (secure)', () => kafkaAnswers(admin), s.readyTimeoutMs, join(paths.logs, 'kafka.log'));
    // Bootstrap as the super user: the configured topics, then what each principal may do with them.
    const client = createKafka(admin, createLogger('stack', { level: 'warn' }), 'bootstrap').admin();
    await client.connect();
    try {
      await ensureTopics(client, admin);
      await grantTopicAcls(client, admin);
      await grantGroupAcls(client);
    } finally {
      await client.disconnect();
    }
    progress(`kafka (secure): ready on ${endpoint} (SASL_SSL, SCRAM-SHA-512, ACLs for ${KAFKA_PRINCIPALS.length - 1} principals)`);
  })();

  const redisJob = (async (): Promise<string> => {
    if (previous.redisUrl && ours(d.redis) && (await secureRedisPing(previous.redisUrl, tls, 'operator', credentials))) {
      progress(`redis (secure): already running at ${previous.redisUrl}`);
      return previous.redisUrl;
    }
    await stopDaemon(d.redis); // ours but not answering as expected: start afresh
    const { url } = await startSecureRedis(config, paths, tls, credentials, progress);
    mark('redis');
    return url;
  })();

  const registryJob = (async (): Promise<string> => {
    if (await httpOk(`${config.registry.url}/subjects`)) return config.registry.url;
    const own = { ...config, stack: { ...s, registryPort: s.secureRegistryPort } };
    const url = registryUrl(own);
    if (!ours(d.registry)) {
      if (await portOpen(s.secureRegistryPort)) throw new StackError('stack.port-taken', `port ${s.secureRegistryPort} is taken by something that is not a schema registry: free it or set WARDEN_STACK_SECURE_REGISTRY_PORT`);
      versions.registry = (await startRegistry(own, paths, progress)).version;
      mark('registry');
    }
    await waitFor('schema registry', () => httpOk(`${url}/subjects`), s.readyTimeoutMs, d.registry.logFile);
    return url;
  })();

  const [k, r, g] = await Promise.allSettled([kafkaJob, redisJob, registryJob]);
  const state: SecureStackState = {
    kafkaBrokers: [`127.0.0.1:${s.secureKafkaPort}`],
    redisUrl: r.status === 'fulfilled' ? r.value : (previous.redisUrl ?? ''),
    registryUrl: g.status === 'fulfilled' ? g.value : config.registry.url,
    caCert: tls.caCert,
    credentialsFile: paths.credentialsFile,
    envDir: paths.envDir,
    started: [...started],
    versions,
  };
  writeFileSync(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  const failed = [k, r, g].find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
  for (const p of KAFKA_PRINCIPALS) writePrivate(join(paths.envDir, `${p}.env`), Object.entries(envFor(state, credentials, p)).map(([n, v]) => `${n}=${v}\n`).join(''));
  return { ...state, startedNow, elapsedMs: Date.now() - t0 };
}

/** Stops what the secure stack started (or only `only`); `purge` also deletes its folder: data, certificates, credentials. */
export async function secureStackDown(config: WardenConfig, progress: Progress = () => undefined, only?: SecureComponent[], purge = false): Promise<SecureComponent[]> {
  const paths = securePaths(config);
  const d = daemons(paths);
  const stopped: SecureComponent[] = [];
  await Promise.all((Object.keys(d) as SecureComponent[]).filter((c) => !only || only.includes(c)).map(async (c) => {
    if (await stopDaemon(d[c])) {
      stopped.push(c);
      progress(`${c} (secure): stopped`);
    }
  }));
  const state = readState(paths.stateFile);
  const remaining = (state.started ?? []).filter((c) => !stopped.includes(c) && ours(d[c]));
  if (purge && remaining.length === 0) {
    rmSync(paths.dir, { recursive: true, force: true });
    progress(`removed ${paths.dir}`);
  } else if (remaining.length === 0) rmSync(paths.stateFile, { force: true });
  else writeFileSync(paths.stateFile, `${JSON.stringify({ ...state, started: remaining }, null, 2)}\n`);
  return stopped;
}

export interface SecureComponentStatus { component: SecureComponent; up: boolean; endpoint: string; managed: boolean; version?: string }

export async function secureStackStatus(config: WardenConfig): Promise<SecureComponentStatus[]> {
  const paths = securePaths(config);
  const d = daemons(paths);
  const state = readState(paths.stateFile);
  const credentials = existsSync(paths.credentialsFile) ? readCredentials(paths.credentialsFile) : undefined;
  const endpoint = `127.0.0.1:${config.stack.secureKafkaPort}`;
  return [
    { component: 'kafka', up: credentials ? await kafkaAnswers(asPrincipal(config, paths.tls, credentials, 'admin')) : false, endpoint, managed: ours(d.kafka), version: state.versions?.kafka },
    { component: 'redis', up: credentials && state.redisUrl ? await secureRedisPing(state.redisUrl, paths.tls, 'operator', credentials) : false, endpoint: state.redisUrl ?? '(not started)', managed: ours(d.redis) },
    { component: 'registry', up: state.registryUrl ? await httpOk(`${state.registryUrl}/subjects`) : false, endpoint: state.registryUrl ?? config.registry.url, managed: ours(d.registry), version: state.versions?.registry },
  ];
}
