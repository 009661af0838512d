/**
 * The secure stack's pure parts: who may do what on Kafka (the ACL table), the
 * Redis ACL file, and the environment each principal gets, read back by the
 * ordinary config loader (the keys a production cluster uses).
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupAcls, topicAcls } from '../../../cli/stack/acls.js';
import { KAFKA_PRINCIPALS, REDIS_USERS, loadOrCreateCredentials, type Credentials } from '../../../cli/stack/credentials.js';
import { envFor } from '../../../cli/stack/secure.js';
import { aclFile } from '../../../cli/stack/secureRedis.js';
import { readPemFile } from '../../../shared/config/files.js';
import { loadConfig } from '../../../shared/config/index.js';
import { ConfigError } from '../../../shared/errors/index.js';
import { AclOperationTypes, ResourcePatternTypes } from '../../../shared/kafka/index.js';

const config = loadConfig({ env: {}, useStackFile: false });
// kafkajs's enums are plain objects at run time (no reverse mapping).
const op = (o: AclOperationTypes) => Object.entries(AclOperationTypes).find(([, v]) => v === o)?.[0];
const grants = (principal: string) =>
  topicAcls(config).filter((a) => a.principal === `User:${principal}`).map((a) => `${op(a.operation)} ${a.resourceName}`).sort();

const dir = mkdtempSync(join(tmpdir(), 'warden-secure-'));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const credentials: Credentials = {
  kafka: Object.fromEntries(KAFKA_PRINCIPALS.map((p) => [p, `kafka-secret-of-${p}`])) as Credentials['kafka'],
  redis: Object.fromEntries(REDIS_USERS.map((u) => [u, `redis-secret-of-${u}`])) as Credentials['redis'],
  keystorePassword: 'keystore-secret',
  detectorNameHashSecret: 'name-hash-secret-of-the-detector',
};
const state = { kafkaBrokers: ['127.0.0.1:9192'], redisUrl: 'rediss://127.0.0.1:7000', registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7', caCert: ca };

const configError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('secure stack: Kafka ACLs per principal', () => {
  it('lets an agent write agent.events and read agent.quarantine, nothing else', () => {
    expect(grants('agent')).toEqual(['READ agent.quarantine', 'WRITE agent.events']);
    expect(groupAcls().filter((a) => a.principal === 'User:agent').map((a) => a.resourceName)).toEqual(['warden-killswitch-']);
  });

  it('gives each service only its own reads and writes', () => {
    expect(grants('detector')).toEqual(['READ agent.events', 'WRITE agent.events.dlq', 'WRITE security.alerts']);
    expect(grants('responder')).toEqual(['READ security.alerts', 'WRITE agent.quarantine', 'WRITE security.alerts']);
    expect(grants('siem-forwarder')).toEqual(['READ agent.quarantine', 'READ security.alerts', 'WRITE agent.events.dlq', 'WRITE siem.alerts']);
    expect(grants('otel-ingest')).toEqual(['READ otlp_spans', 'WRITE agent.events', 'WRITE agent.events.dlq']);
    expect(grants('mcp-gateway')).toEqual(['READ agent.quarantine', 'WRITE agent.events']);
  });

  it('keeps writes to agent.quarantine to the responder, topic administration to the operator, and never grants ALL', () => {
    const acls = topicAcls(config);
    expect(acls.filter((a) => a.resourceName === 'agent.quarantine' && a.operation === AclOperationTypes.WRITE).map((a) => a.principal)).toEqual(['User:responder']);
    expect([...new Set(acls.filter((a) => a.operation === AclOperationTypes.ALTER_CONFIGS).map((a) => a.principal))]).toEqual(['User:operator']);
    expect(grants('operator').filter((g) => g.startsWith('WRITE'))).toEqual([]);
    expect(acls.some((a) => a.operation === AclOperationTypes.ALL)).toBe(false);
    expect(acls.every((a) => a.resourcePatternType === ResourcePatternTypes.LITERAL)).toBe(true);
  });
});

describe('secure stack: Redis ACL file', () => {
  const text = aclFile(config, credentials);
  it('turns the default user off and confines each user to its keys, without dangerous commands', () => {
    expect(text.split('\n')[0]).toBe('user default off resetpass nocommands resetkeys');
    const detector = text.split('\n').find((l) => l.startsWith('user detector '))!;
    expect(detector).toContain('~warden:detector:*');
    expect(detector).not.toContain('~warden:responder');
    expect(detector).toMatch(/-@dangerous.*\+info$/);
    expect(detector).toMatch(/\+eval\b/); // the fenced checkpoint is a script (services/detector/stateStore.ts)
  });
  it('holds password hashes, not passwords', () => {
    for (const u of REDIS_USERS) expect(text).not.toContain(credentials.redis[u]);
  });
});

describe('secure stack: credentials', () => {
  it('adds the detector name-hash secret to a file written before it existed, keeping the servers\' passwords', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'warden-cred-')), 'credentials.json');
    const { detectorNameHashSecret: _none, ...old } = credentials;
    writeFileSync(file, JSON.stringify(old));
    const { credentials: loaded, created } = loadOrCreateCredentials(file);
    expect(created).toBe(false);
    expect(loaded.kafka).toEqual(credentials.kafka);
    expect(loaded.keystorePassword).toBe(credentials.keystorePassword);
    expect(loaded.detectorNameHashSecret.length).toBeGreaterThanOrEqual(16);
    expect(JSON.parse(readFileSync(file, 'utf8')).detectorNameHashSecret).toBe(loaded.detectorNameHashSecret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Stable from then on.
    expect(loadOrCreateCredentials(file).credentials.detectorNameHashSecret).toBe(loaded.detectorNameHashSecret);
  });
});

describe('secure stack: the environment of a principal', () => {
  it('is read by the config loader into SASL_SSL, a CA file, a Redis ACL user and TLS', () => {
    const c = loadConfig({ env: envFor(state, credentials, 'detector'), useStackFile: false });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9192']);
    expect(c.kafka.ssl).toEqual({ ca, rejectUnauthorized: true });
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'detector', password: 'kafka-secret-of-detector' });
    expect(c.kafka.manageTopics).toBe(false);
    expect(c.redis).toMatchObject({ url: 'rediss://127.0.0.1:7000', username: 'detector', password: 'redis-secret-of-detector', tls: { ca, rejectUnauthorized: true } });
  });
  it('gives Kafka-only principals no Redis access, and only the operator topic management', () => {
    const agent = envFor(state, credentials, 'agent');
    expect(Object.keys(agent).filter((k) => k.startsWith('WARDEN_REDIS'))).toEqual([]);
    expect(agent.WARDEN_KAFKA_MANAGE_TOPICS).toBe('false');
    expect(envFor(state, credentials, 'operator').WARDEN_KAFKA_MANAGE_TOPICS).toBe('true');
  });
  it("gives the detector, and only it, the name-hash secret", () => {
    expect(envFor(state, credentials, 'detector').WARDEN_DETECTOR_NAME_HASH_SECRET).toBe('name-hash-secret-of-the-detector');
    for (const p of KAFKA_PRINCIPALS.filter((x) => x !== 'detector')) expect(envFor(state, credentials, p).WARDEN_DETECTOR_NAME_HASH_SECRET).toBeUndefined();
  });
});

describe('configuration of TLS files', () => {
  it('names the key and the variable when a CA file does not exist', () => {
    const err = configError(() => loadConfig({ env: { WARDEN_KAFKA_SSL: 'true', WARDEN_KAFKA_SSL_CA: join(dir, 'missing.pem') }, useStackFile: false }));
    expect(err.issues).toEqual([`kafka.ssl.ca: no readable file at ${join(dir, 'missing.pem')} (from WARDEN_KAFKA_SSL_CA)`]);
  });
  it('refuses Redis TLS options with a redis:// url', () => {
    const err = configError(() => loadConfig({ env: { WARDEN_REDIS_URL: 'redis://127.0.0.1:6379', WARDEN_REDIS_TLS_CA: ca }, useStackFile: false }));
    expect(err.issues).toEqual(['redis.tls.ca: TLS options need a rediss:// redis.url (from WARDEN_REDIS_TLS_CA)']);
  });
  it('names the key when a file is not PEM', () => {
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(configError(() => readPemFile('redis.tls.ca', notPem)).issues[0]).toBe(`redis.tls.ca: ${notPem} holds no PEM block (expected -----BEGIN ...-----)`);
  });
});
