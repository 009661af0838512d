/**
 * The only module that imports kafkajs (kafkajs is in maintenance mode: its
 * issues #1603 and #1753). Services get clients from here, so another client
 * library could replace it without touching them.
 */
import { Kafka, logLevel, Partitioners, type ISocketFactory, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import { readPemFile } from '../config/files.js';
import type { WardenConfig } from '../config/index.js';
import type { Logger } from '../logging/index.js';

export type {
  Admin,
  Consumer,
  ConsumerConfig,
  EachBatchPayload,
  EachMessagePayload,
  IHeaders,
  KafkaMessage,
  Message,
  Producer,
  ProducerConfig,
  RecordMetadata,
  Batch,
  AclEntry,
  AclFilter,
} from 'kafkajs';
export { CompressionTypes } from 'kafkajs';

// Node's CommonJS export detection misses these enums in kafkajs's index, so they come from the module object.
export const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
export type AclResourceTypes = kafkajs.AclResourceTypes;
export type AclOperationTypes = kafkajs.AclOperationTypes;
export type AclPermissionTypes = kafkajs.AclPermissionTypes;
export type ResourcePatternTypes = kafkajs.ResourcePatternTypes;

export type KafkaClient = Kafka;
export type SocketFactory = ISocketFactory;

export interface KafkaClientOptions {
  /** How connections to brokers are opened (tests put a fault-injecting proxy here); default: plain or TLS sockets. */
  socketFactory?: SocketFactory;
}

/** Builds the kafkajs client from the typed config: brokers, TLS and SASL are configuration only. */
export function createKafka(config: WardenConfig, logger: Logger, clientIdSuffix?: string, options: KafkaClientOptions = {}): KafkaClient {
  const k = config.kafka;
  const kafkaConfig: KafkaConfig = {
    clientId: clientIdSuffix ? `${k.clientId}-${clientIdSuffix}` : k.clientId,
    brokers: k.brokers,
    connectionTimeout: k.connectionTimeoutMs,
    requestTimeout: k.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => logKafka(logger, entry),
    ...(options.socketFactory ? { socketFactory: options.socketFactory } : {}),
  };
  if (k.ssl === true) kafkaConfig.ssl = true;
  else if (k.ssl && typeof k.ssl === 'object') {
    kafkaConfig.ssl = {
      rejectUnauthorized: k.ssl.rejectUnauthorized,
      ...(k.ssl.ca ? { ca: [readPemFile('kafka.ssl.ca', k.ssl.ca)] } : {}),
      ...(k.ssl.cert ? { cert: readPemFile('kafka.ssl.cert', k.ssl.cert) } : {}),
      ...(k.ssl.key ? { key: readPemFile('kafka.ssl.key', k.ssl.key) } : {}),
    };
  }
  if (k.sasl) kafkaConfig.sasl = { mechanism: k.sasl.mechanism, username: k.sasl.username, password: k.sasl.password } as SASLOptions;
  return new Kafka(kafkaConfig);
}

/**
 * A producer that is idempotent, partitioning like the Java client (murmur2 on the key). Idempotent: the broker
 * gives it a producer id and drops a batch it already wrote when kafkajs re-sends it after a lost response, so a
 * broker-level retry cannot duplicate (test/integration/producer-idempotence.test.ts). kafkajs keeps ordering and
 * that guarantee only with one request in flight per broker, hence maxInFlightRequests 1.
 */
export function createProducer(kafka: KafkaClient, options: { idempotent?: boolean } = {}) {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: options.idempotent ?? true,
    maxInFlightRequests: options.idempotent === false ? undefined : 1,
    allowAutoTopicCreation: false,
  });
}

/**
 * The broker's error code name behind a kafkajs error (`TOPIC_AUTHORIZATION_FAILED`, `GROUP_AUTHORIZATION_FAILED`,
 * ...), looking through the wrappers kafkajs puts around it after retries; undefined for a non-protocol error.
 */
export function kafkaErrorType(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const e = stack.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const { type, cause, originalError, errors } = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (typeof type === 'string') return type;
    stack.push(cause, originalError, ...(Array.isArray(errors) ? errors : []));
  }
  return undefined;
}

function logKafka(logger: Logger, entry: LogEntry): void {
  const { message, ...extra } = entry.log;
  const fields = { kafka: entry.namespace, ...extra };
  // Per-request errors on a connection (coordinator loading, leader moving) are retried by
  // kafkajs itself; a final failure surfaces as a thrown error, so these are only debug noise.
  if (entry.namespace === 'Connection') logger.debug(fields, message);
  else if (entry.level === logLevel.ERROR) logger.error(fields, message);
  else if (entry.level === logLevel.WARN) logger.warn(fields, message);
  else logger.debug(fields, message);
}
