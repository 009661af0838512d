/**
 * The only module that imports kafkajs (kafkajs is in maintenance mode: its
 * issues #1603 and #1753). Services get clients from here, so another client
 * library could replace it without touching them.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, Partitioners, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
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
} from 'kafkajs';
export { CompressionTypes } from 'kafkajs';

export type KafkaClient = Kafka;

/** Builds the kafkajs client from the typed config: brokers, TLS and SASL are configuration only. */
export function createKafka(config: WardenConfig, logger: Logger, clientIdSuffix?: string): KafkaClient {
  const k = config.kafka;
  const kafkaConfig: KafkaConfig = {
    clientId: clientIdSuffix ? `${k.clientId}-${clientIdSuffix}` : k.clientId,
    brokers: k.brokers,
    connectionTimeout: k.connectionTimeoutMs,
    requestTimeout: k.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => logKafka(logger, entry),
  };
  if (k.ssl === true) kafkaConfig.ssl = true;
  else if (k.ssl && typeof k.ssl === 'object') {
    kafkaConfig.ssl = {
      rejectUnauthorized: k.ssl.rejectUnauthorized,
      ...(k.ssl.ca ? { ca: [readFileSync(k.ssl.ca, 'utf8')] } : {}),
      ...(k.ssl.cert ? { cert: readFileSync(k.ssl.cert, 'utf8') } : {}),
      ...(k.ssl.key ? { key: readFileSync(k.ssl.key, 'utf8') } : {}),
    };
  }
  if (k.sasl) kafkaConfig.sasl = { mechanism: k.sasl.mechanism, username: k.sasl.username, password: k.sasl.password } as SASLOptions;
  return new Kafka(kafkaConfig);
}

/** A producer that waits for all in-sync replicas and is idempotent, partitioning like the Java client (murmur2 on the key). */
export function createProducer(kafka: KafkaClient, options: { idempotent?: boolean } = {}) {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: options.idempotent ?? true,
    maxInFlightRequests: options.idempotent === false ? undefined : 1,
    allowAutoTopicCreation: false,
  });
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
