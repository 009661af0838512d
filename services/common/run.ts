/**
 * The shell every service shares: config and logger, a health/metrics HTTP
 * server per service (/healthz live, /readyz ready, /metrics), and one-time
 * shutdown on SIGTERM/SIGINT (each service stops consuming, flushes its
 * producer, commits, closes) with a deadline. A failure to start is one clear
 * log line and exit code 1. One service per process (services/<name>/main.ts)
 * or several in one (`warden run all`): the same code path.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, type WardenConfig } from '../../shared/config/index.js';
import { ConfigError, WardenError } from '../../shared/errors/index.js';
import { createLogger, type Logger } from '../../shared/logging/index.js';
import { enableProcessMetrics, type Registry } from '../../shared/metrics/index.js';
import { startHealthServer, type HealthServer } from '../../shared/metrics/server.js';

export interface RunningService { ready: boolean; registry: Registry; stop(): Promise<void> }

/** What a services/<name>/main.ts exports: its name, its default health port, and how to start it. */
export interface ServiceDefinition {
  name: string;
  defaultPort: number;
  start(ctx: { config: WardenConfig; logger: Logger }): Promise<RunningService>;
}

export interface RunOptions {
  /** YAML config file (the CLI's --config); default $WARDEN_CONFIG. */
  configFile?: string;
  /** Health port per service name; default WARDEN_METRICS_PORT for a single service, else each one's defaultPort. */
  ports?: Record<string, number>;
  /** How long shutdown may take before the process exits with code 1. */
  stopDeadlineMs?: number;
}

/** True when the module at `moduleUrl` is the process's entry point (node main.js, tsx main.ts). */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

interface Started { def: ServiceDefinition; service: RunningService; health: HealthServer | null; logger: Logger }

/** Starts the services in order; on SIGTERM/SIGINT stops them once, in the same order, and exits 0 (1 past the deadline). */
export async function runServices(defs: ServiceDefinition[], options: RunOptions = {}): Promise<void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const label = defs.map((d) => d.name).join('+');
  let logger = createLogger(label);
  const started: Started[] = [];
  try {
    const config = loadConfig(options.configFile ? { file: options.configFile } : {});
    logger = createLogger(label, { level: config.logging.level });
    for (const def of defs) {
      const own = createLogger(def.name, { level: config.logging.level });
      const entry: Started = { def, service: await def.start({ config, logger: own }), health: null, logger: own };
      started.push(entry);
      // Process metrics once per process, on the first service's registry.
      if (started.length === 1) enableProcessMetrics(entry.service.registry);
      entry.health = await startHealthServer({ port: portFor(def, defs.length, options), registry: entry.service.registry, ready: () => entry.service.ready });
      own.info({ healthPort: entry.health.port, metricsPort: entry.health.port }, `${def.name} started`);
    }
  } catch (err) {
    const e = err as Error;
    logger.fatal({ reason: err instanceof WardenError ? err.reason : undefined }, `${label} could not start: ${e.message}`);
    await stopAll(started).catch(() => undefined);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${label} stopping`);
    const deadline = setTimeout(() => {
      logger.error(`${label} did not stop within ${(options.stopDeadlineMs ?? 30_000) / 1000} s; exiting`);
      process.exit(1);
    }, options.stopDeadlineMs ?? 30_000);
    deadline.unref();
    const failed = await stopAll(started);
    logger.info(`${label} stopped`);
    process.exit(failed ? 1 : 0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** One service in its own process (services/<name>/main.ts). */
export function runService(def: ServiceDefinition, options: RunOptions = {}): Promise<void> {
  return runServices([def], options);
}

function portFor(def: ServiceDefinition, count: number, options: RunOptions): number {
  const given = options.ports?.[def.name];
  if (given !== undefined) return given;
  const raw = count === 1 ? process.env.WARDEN_METRICS_PORT : undefined;
  if (raw === undefined || raw === '') return def.defaultPort;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`WARDEN_METRICS_PORT: expected a port from 0 to 65535, got ${JSON.stringify(raw)}`]);
  return port;
}

/** Stops every started service in start order (upstream first, so it stops feeding the next); true if any failed. */
async function stopAll(started: Started[]): Promise<boolean> {
  let failed = false;
  for (const s of started) {
    try {
      await s.service.stop();
      s.logger.info(`${s.def.name} stopped`);
    } catch (err) {
      failed = true;
      s.logger.error({ err }, `${s.def.name} did not stop cleanly: ${(err as Error).message}`);
    }
    await s.health?.close();
  }
  return failed;
}
