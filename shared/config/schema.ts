/**
 * The one typed configuration of every service and command. Defaults work
 * against the local stack (`npm run stack:up`) with no file at all.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { readableFile } from './files.js';
import { SeverityValues } from '../schemas/generated.js';

const port = z.number().int().min(1).max(65535);
/**
 * Signature verification threads by default: the cores left after the main thread and one more for what else
 * runs beside it (GC, libuv, the Kafka client's I/O); so 0, inline, on a machine with fewer than 3 cores,
 * where a worker only competes with the main thread (bench/RESULTS.md, detector throughput).
 */
const DEFAULT_VERIFY_WORKERS = Math.max(0, availableParallelism() - 2);
/**
 * detector.fetchMaxPartitionBytes by default, a quarter of kafkajs's 1 MiB. At 20,000 events/s of warm agents
 * (bench/latency.ts, 60 s measured, 2026-12-08, runs alternated): p99 event -> alert 106 and 180 ms at 256 KiB,
 * 44-191 ms at 128 KiB, 204-424 ms at 1 MiB. At full speed (bench/detector-throughput.ts, 300,000 events, two
 * alternating pairs, medians of 3 rounds): 71,140 and 72,472 events/s at 256 KiB against 80,326 and 83,814 at 1 MiB
 * (a tenth less: three to four times the fetch round trips); 128 KiB cost more.
 */
const DEFAULT_FETCH_MAX_PARTITION_BYTES = 256 * 1024;
/** The least severe alert a SIEM sink receives (Falcosidekick's minimumpriority); the forwarder skips the rest, counted. INFO: every alert. */
const sinkMinSeverity = z.enum(SeverityValues).default('INFO');
const topic = (name: string, partitions: number, extra: Record<string, string> = {}) =>
  z
    .object({
      name: z.string().min(1).default(name),
      partitions: z.number().int().min(1).default(partitions),
      replicationFactor: z.number().int().min(1).default(1),
      retentionMs: z.number().int().min(-1).default(7 * 24 * 3600 * 1000),
      /** The topic's max.message.bytes (set when topics are provisioned); the DLQ writer keeps every dead letter under the DLQ's. */
      maxMessageBytes: z.number().int().min(65_536).max(16 * 1024 * 1024).default(1_048_576),
      configs: z.record(z.string()).default(extra),
    })
    .strict()
    .default({});

export const configSchema = z
  .object({
    kafka: z
      .object({
        brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1).default(['127.0.0.1:9092']),
        clientId: z.string().min(1).default('agent-warden'),
        ssl: z
          .union([
            z.boolean(),
            z.object({ ca: readableFile.optional(), cert: readableFile.optional(), key: readableFile.optional(), rejectUnauthorized: z.boolean().default(true) }).strict(),
          ])
          .default(false),
        sasl: z
          .object({
            mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
            username: z.string().min(1),
            password: z.string().min(1),
          })
          .strict()
          .optional(),
        connectionTimeoutMs: z.number().int().positive().default(3000),
        requestTimeoutMs: z.number().int().positive().default(30000),
        /**
         * Services create missing topics and align their configs at start (the local stack). false where
         * ACLs give topics to the operator (`warden stack up --secure`, production): services only use them.
         */
        manageTopics: z.boolean().default(true),
      })
      .strict()
      .default({}),
    registry: z
      .object({
        url: z.string().url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
        username: z.string().optional(),
        password: z.string().optional(),
      })
      .strict()
      .default({}),
    redis: z
      .object({
        url: z.string().regex(/^rediss?:\/\//, 'expected redis:// or rediss://').default('redis://127.0.0.1:6379'),
        password: z.string().optional(),
        /** ACL user (Redis 6+); without it AUTH uses the default user. */
        username: z.string().min(1).optional(),
        /** TLS options for a rediss:// url: the CA that signed the server's certificate. */
        tls: z.object({ ca: readableFile.optional(), rejectUnauthorized: z.boolean().default(true) }).strict().optional(),
        keyPrefix: z.string().default('warden:'),
        /**
         * A Redis Cluster instead of one server: its seed nodes (host:port; the client discovers the rest).
         * Username, password and TLS apply to every node (TLS: redis.tls, the url is then not used).
         */
        cluster: z
          .object({ nodes: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1, 'list at least one node (host:port)') })
          .strict()
          .optional(),
      })
      .strict()
      .superRefine((r, ctx) => {
        if (r.tls && !r.cluster && !r.url.startsWith('rediss://')) ctx.addIssue({ code: 'custom', path: r.tls.ca ? ['tls', 'ca'] : ['tls'], message: 'TLS options need a rediss:// redis.url' });
        // The detector hash-tags its keys ({...} after the prefix); a brace in the prefix would become the tag instead.
        if (r.cluster && /[{}]/.test(r.keyPrefix)) ctx.addIssue({ code: 'custom', path: ['keyPrefix'], message: 'must not contain { or } with redis.cluster (the hash tag must be the detector\'s own)' });
      })
      .default({}),
    topics: z
      .object({
        events: topic('agent.events', 12),
        dlq: topic('agent.events.dlq', 3, {}),
        alerts: topic('security.alerts', 6),
        quarantine: topic('agent.quarantine', 3, { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0', 'segment.ms': '600000' }),
        siem: topic('siem.alerts', 6),
        /** Written by the OpenTelemetry Collector's kafka exporter (one ExportTraceServiceRequest per message), read by otel-ingest. */
        otlpSpans: topic('otlp_spans', 6),
      })
      .strict()
      .default({}),
    siem: z
      .object({
        /** Extra redaction patterns (JavaScript regex source) applied with the built-in ones. */
        redactions: z.array(z.object({ kind: z.string().min(1), pattern: z.string().min(1), flags: z.string().optional() }).strict()).default([]),
        splunkHec: z
          .object({
            url: z.string().url(),
            token: z.string().min(1),
            index: z.string().optional(),
            sourcetype: z.string().default('agent-warden:ocsf'),
            timeoutMs: z.number().int().positive().default(10_000),
            minSeverity: sinkMinSeverity,
          })
          .strict()
          .optional(),
        elasticBulk: z
          .object({
            url: z.string().url(),
            index: z.string().default('agent-warden-alerts'),
            apiKey: z.string().optional(),
            username: z.string().optional(),
            password: z.string().optional(),
            timeoutMs: z.number().int().positive().default(10_000),
            minSeverity: sinkMinSeverity,
          })
          .strict()
          .optional(),
        syslog: z
          .object({
            host: z.string().min(1),
            port: port,
            tls: z.union([z.boolean(), z.object({ ca: z.string().optional(), rejectUnauthorized: z.boolean().default(true) }).strict()]).default(false),
            facility: z.number().int().min(0).max(23).default(10),
            hostname: z.string().optional(),
            minSeverity: sinkMinSeverity,
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    detector: z
      .object({
        /**
         * How often per-agent state and covered offsets are checkpointed to Redis (and then offsets
         * committed to Kafka). 0 = after every batch. Longer = fewer state writes, more re-reading after a crash.
         */
        checkpointIntervalMs: z.number().int().min(0).max(60_000).default(30_000),
        /** Partitions processed concurrently by one instance. */
        partitionsInFlight: z.number().int().min(1).max(64).default(3),
        /**
         * Most bytes of one partition's records in one fetch (kafkajs maxBytesPerPartition, Kafka's
         * max.partition.fetch.bytes; a larger first record still comes whole). kafkajs processes a fetch's batches
         * before it fetches again, so after any pause the next fetch brings that much more, and each record in it
         * waits for all of it: smaller bounds that wait (p99 event -> alert at 20,000 events/s), larger means fewer
         * fetch round trips (events/s at full speed). README, `WARDEN_DETECTOR_FETCH_MAX_PARTITION_BYTES`.
         */
        fetchMaxPartitionBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(DEFAULT_FETCH_MAX_PARTITION_BYTES),
        /**
         * Worker threads that verify event signatures (services/detector/verifyPool.ts); 0 = on the main
         * thread. DEFAULT_VERIFY_WORKERS says how the default follows the machine's cores.
         */
        verifyWorkers: z.number({ invalid_type_error: 'must be a whole number of worker threads (0 = verify on the main thread)' }).int().min(0).max(64).default(DEFAULT_VERIFY_WORKERS),
        /**
         * A batch that fails this many times in a row for a reason that is not an outage (a record the
         * broker refuses, a bug) is parked: its records go to the DLQ with reason batch.parked and the
         * partition moves on. Outages (Kafka, Redis, registry unreachable) are retried without limit.
         */
        maxBatchAttempts: z.number().int().min(1).max(100).default(5),
        /**
         * Self-monitoring (services/detector/health.ts): sampled every intervalMs (0 = off), each kind of
         * `warden.health.*` alert at most once per repeatAfterMs while its condition holds.
         */
        health: z
          .object({
            intervalMs: z.number().int().min(0).default(10_000),
            maxLagRecords: z.number().int().min(0).default(100_000),
            maxDlqPerMinute: z.number().min(0).default(600),
            maxCheckpointAgeMs: z.number().int().min(1).default(120_000),
            stalledAfterMs: z.number().int().min(1).default(120_000),
            repeatAfterMs: z.number().int().min(1).default(300_000),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    /**
     * Ed25519 keys for isolation commands (README "Instrument your agent"). SDKs and the gateway
     * need only the public keys; the responder needs the signing keys (or WARDEN_COMMAND_SIGNING_KEYS,
     * env only so the secret never sits in a config object). Nothing set: a dev keypair in stack.dir.
     */
    /**
     * otel-ingest (README "Watch agents that already emit OpenTelemetry"): an OTLP/HTTP receiver and a consumer
     * of topics.otlpSpans, both mapped to AgentActionEvent and attested with the keyring entry attester:otel-ingest.
     */
    otelIngest: z
      .object({
        http: z
          .object({
            enabled: z.boolean().default(true),
            host: z.string().min(1).default('127.0.0.1'),
            port: port.default(4318),
            /** Largest request body, compressed or not (413 above it). */
            maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
            /** JSON or YAML list of senders [{name, token, agents: [agentId or pattern with *]}]; required when http is enabled. */
            tokensFile: readableFile.optional(),
            /** What a 503 asks the sender to wait (Retry-After), in seconds. */
            retryAfterSeconds: z.number().int().min(1).max(3600).default(5),
          })
          .strict()
          .default({}),
        kafka: z
          .object({
            enabled: z.boolean().default(true),
            encoding: z.enum(['otlp_proto', 'otlp_json']).default('otlp_proto'),
            groupId: z.string().min(1).default('warden-otel-ingest'),
            /** Agent ids or patterns (with *) the Collector may speak for: the topic's write ACL is its authentication. */
            agents: z.array(z.string().min(1)).min(1).default(['*']),
          })
          .strict()
          .default({}),
        identity: z
          .object({
            /** Attributes (span first, then resource) whose first value is the agentId. */
            agentIdAttributes: z.array(z.string().min(1)).min(1).default(['gen_ai.agent.id', 'service.name']),
            roleAttributes: z.array(z.string().min(1)).default(['warden.agent.role', 'gen_ai.agent.name']),
            defaultRole: z.string().min(1).default('otel'),
            tenantAttributes: z.array(z.string().min(1)).default(['warden.tenant.id', 'service.namespace']),
            defaultTenant: z.string().min(1).default('default'),
          })
          .strict()
          .default({}),
        /** Tool name -> action mapping (YAML); default: the built-in one, same as rules/tool-actions.yaml. */
        toolActionsFile: readableFile.optional(),
        /** Tool arguments and model input kept as event text are cut to this many characters. */
        maxTextLength: z.number().int().min(0).max(16_384).default(1024),
        /** Events waiting for Kafka at most; past it requests get 503 with Retry-After. */
        queueCapacity: z.number().int().min(1).max(1_000_000).default(20_000),
        /** How long a request waits for Kafka to acknowledge its events before it gets 503. */
        ackTimeoutMs: z.number().int().positive().default(10_000),
      })
      .strict()
      .default({}),
    /** mcp-gateway (README "Watch and stop agents at their MCP tools"): a proxy in front of MCP servers that reports and refuses tool calls. */
    mcpGateway: z
      .object({
        /** Names the server in every event's resource (`<serverName>/<tool>`). */
        serverName: z.string().min(1).max(128).default('mcp'),
        /** stdio mode: the agent the wrapped server is launched for (the agent that launched the gateway). */
        agentId: z.string().min(1).optional(),
        agentRole: z.string().min(1).default('mcp'),
        tenantId: z.string().min(1).default('default'),
        /** Refuse every call when agent.quarantine could not be read for this long. */
        failClosedAfterMs: z.number().int().min(100).default(30_000),
        /** Put the arguments, redacted and cut to maxArgumentChars, in the event's text (off: only a keyed digest). */
        recordArguments: z.boolean().default(false),
        maxArgumentChars: z.number().int().min(1).max(16_384).default(1024),
        /** Tool name -> action mapping (same format as otel-ingest's; default: the built-in one). */
        toolActionsFile: readableFile.optional(),
        http: z
          .object({
            host: z.string().min(1).default('127.0.0.1'),
            port: port.default(4340),
            /** The MCP server (Streamable HTTP) the gateway stands in front of. */
            upstreamUrl: z.string().url().optional(),
            /** JSON or YAML list [{agentId, token, agentRole?, tenantId?}]: each agent's bearer token (MCP and the state API). */
            tokensFile: readableFile.optional(),
            maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    commandSigning: z
      .object({
        /** JWK set file of public keys: {"keys": [{"kty":"OKP","crv":"Ed25519","x":..,"kid":..,"scope":"agent"|"fleet"}]}. */
        publicKeysFile: z.string().min(1).optional(),
        /** The same JWK set as JSON text. */
        publicKeys: z.string().min(1).optional(),
        /** JWK set file of the responder's private keys (each also with "d"); keep it mode 0600. */
        signingKeysFile: z.string().min(1).optional(),
        /**
         * With no key configured, use (and create once) the local dev keypair under stack.dir. Set false in
         * production: a verifier that forgot its public keys then fails at start instead of silently trusting
         * a key of its own and ignoring every real command.
         */
        devKeys: z.boolean().default(true),
      })
      .strict()
      .default({}),
    logging: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({}),
    stack: z
      .object({
        dir: z.string().default('.warden'),
        cacheDir: z.string().optional(),
        kafkaVersions: z.array(z.string()).min(1).default(['3.9.1', '3.9.2', '3.9.0']),
        apicurioVersions: z.array(z.string()).min(1).default(['3.1.7', '3.1.6', '3.0.9']),
        kafkaPort: port.default(9092),
        controllerPort: port.default(9093),
        registryPort: port.default(8081),
        redisPort: port.default(6379),
        /** `stack up --secure`: its own Kafka (SASL_SSL) and controller ports, and a registry port if it must start one. */
        secureKafkaPort: port.default(9192),
        secureControllerPort: port.default(9193),
        secureRegistryPort: port.default(8181),
        kafkaHeapMb: z.number().int().min(128).default(768),
        registryHeapMb: z.number().int().min(128).default(384),
        readyTimeoutMs: z.number().int().positive().default(120_000),
      })
      .strict()
      .default({}),
  })
  .strict();

export type WardenConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/**
 * Environment overrides, one documented name each (README "Configuration").
 * Lists are comma-separated; numbers and booleans are parsed.
 */
export const ENV_OVERRIDES: Record<string, string> = {
  WARDEN_KAFKA_BROKERS: 'kafka.brokers',
  WARDEN_KAFKA_CLIENT_ID: 'kafka.clientId',
  WARDEN_KAFKA_SSL: 'kafka.ssl',
  // After WARDEN_KAFKA_SSL: a CA file turns `true` into an object.
  WARDEN_KAFKA_SSL_CA: 'kafka.ssl.ca',
  WARDEN_KAFKA_MANAGE_TOPICS: 'kafka.manageTopics',
  WARDEN_KAFKA_SASL_MECHANISM: 'kafka.sasl.mechanism',
  WARDEN_KAFKA_SASL_USERNAME: 'kafka.sasl.username',
  WARDEN_KAFKA_SASL_PASSWORD: 'kafka.sasl.password',
  WARDEN_REGISTRY_URL: 'registry.url',
  WARDEN_REGISTRY_USERNAME: 'registry.username',
  WARDEN_REGISTRY_PASSWORD: 'registry.password',
  WARDEN_REDIS_URL: 'redis.url',
  WARDEN_REDIS_PASSWORD: 'redis.password',
  WARDEN_REDIS_USERNAME: 'redis.username',
  WARDEN_REDIS_TLS_CA: 'redis.tls.ca',
  WARDEN_REDIS_KEY_PREFIX: 'redis.keyPrefix',
  WARDEN_REDIS_CLUSTER_NODES: 'redis.cluster.nodes',
  WARDEN_TOPIC_EVENTS: 'topics.events.name',
  WARDEN_TOPIC_DLQ: 'topics.dlq.name',
  WARDEN_TOPIC_ALERTS: 'topics.alerts.name',
  WARDEN_TOPIC_QUARANTINE: 'topics.quarantine.name',
  WARDEN_TOPIC_SIEM: 'topics.siem.name',
  WARDEN_TOPIC_OTLP_SPANS: 'topics.otlpSpans.name',
  WARDEN_OTEL_HTTP_ENABLED: 'otelIngest.http.enabled',
  WARDEN_OTEL_HOST: 'otelIngest.http.host',
  WARDEN_OTEL_PORT: 'otelIngest.http.port',
  WARDEN_OTEL_TOKENS_FILE: 'otelIngest.http.tokensFile',
  WARDEN_OTEL_KAFKA_ENABLED: 'otelIngest.kafka.enabled',
  WARDEN_OTEL_KAFKA_ENCODING: 'otelIngest.kafka.encoding',
  WARDEN_OTEL_TOOL_ACTIONS_FILE: 'otelIngest.toolActionsFile',
  WARDEN_OTEL_ACK_TIMEOUT_MS: 'otelIngest.ackTimeoutMs',
  WARDEN_MCP_SERVER_NAME: 'mcpGateway.serverName',
  WARDEN_MCP_AGENT_ID: 'mcpGateway.agentId',
  WARDEN_MCP_AGENT_ROLE: 'mcpGateway.agentRole',
  WARDEN_MCP_TENANT_ID: 'mcpGateway.tenantId',
  WARDEN_MCP_FAIL_CLOSED_AFTER_MS: 'mcpGateway.failClosedAfterMs',
  WARDEN_MCP_RECORD_ARGUMENTS: 'mcpGateway.recordArguments',
  WARDEN_MCP_TOOL_ACTIONS_FILE: 'mcpGateway.toolActionsFile',
  WARDEN_MCP_HOST: 'mcpGateway.http.host',
  WARDEN_MCP_PORT: 'mcpGateway.http.port',
  WARDEN_MCP_UPSTREAM_URL: 'mcpGateway.http.upstreamUrl',
  WARDEN_MCP_TOKENS_FILE: 'mcpGateway.http.tokensFile',
  WARDEN_LOG_LEVEL: 'logging.level',
  WARDEN_DETECTOR_CHECKPOINT_MS: 'detector.checkpointIntervalMs',
  WARDEN_DETECTOR_PARTITIONS_IN_FLIGHT: 'detector.partitionsInFlight',
  WARDEN_DETECTOR_FETCH_MAX_PARTITION_BYTES: 'detector.fetchMaxPartitionBytes',
  WARDEN_DETECTOR_VERIFY_WORKERS: 'detector.verifyWorkers',
  WARDEN_DETECTOR_MAX_BATCH_ATTEMPTS: 'detector.maxBatchAttempts',
  WARDEN_DETECTOR_HEALTH_INTERVAL_MS: 'detector.health.intervalMs',
  WARDEN_COMMAND_PUBLIC_KEYS_FILE: 'commandSigning.publicKeysFile',
  WARDEN_COMMAND_PUBLIC_KEYS: 'commandSigning.publicKeys',
  WARDEN_COMMAND_SIGNING_KEYS_FILE: 'commandSigning.signingKeysFile',
  WARDEN_COMMAND_DEV_KEYS: 'commandSigning.devKeys',
  WARDEN_SPLUNK_HEC_URL: 'siem.splunkHec.url',
  WARDEN_SPLUNK_HEC_TOKEN: 'siem.splunkHec.token',
  WARDEN_SPLUNK_HEC_INDEX: 'siem.splunkHec.index',
  WARDEN_SPLUNK_HEC_MIN_SEVERITY: 'siem.splunkHec.minSeverity',
  WARDEN_ELASTIC_URL: 'siem.elasticBulk.url',
  WARDEN_ELASTIC_INDEX: 'siem.elasticBulk.index',
  WARDEN_ELASTIC_API_KEY: 'siem.elasticBulk.apiKey',
  WARDEN_ELASTIC_MIN_SEVERITY: 'siem.elasticBulk.minSeverity',
  WARDEN_SYSLOG_HOST: 'siem.syslog.host',
  WARDEN_SYSLOG_PORT: 'siem.syslog.port',
  WARDEN_SYSLOG_TLS: 'siem.syslog.tls',
  WARDEN_SYSLOG_MIN_SEVERITY: 'siem.syslog.minSeverity',
  WARDEN_STACK_DIR: 'stack.dir',
  WARDEN_STACK_CACHE_DIR: 'stack.cacheDir',
  WARDEN_STACK_KAFKA_VERSIONS: 'stack.kafkaVersions',
  WARDEN_STACK_APICURIO_VERSIONS: 'stack.apicurioVersions',
  WARDEN_STACK_KAFKA_PORT: 'stack.kafkaPort',
  WARDEN_STACK_CONTROLLER_PORT: 'stack.controllerPort',
  WARDEN_STACK_REGISTRY_PORT: 'stack.registryPort',
  WARDEN_STACK_REDIS_PORT: 'stack.redisPort',
  WARDEN_STACK_SECURE_KAFKA_PORT: 'stack.secureKafkaPort',
  WARDEN_STACK_SECURE_CONTROLLER_PORT: 'stack.secureControllerPort',
  WARDEN_STACK_SECURE_REGISTRY_PORT: 'stack.secureRegistryPort',
};
