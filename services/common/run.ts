/**
 * The shell every service shares: config and logger, the health/metrics HTTP
 * server, and one-time shutdown on SIGTERM/SIGINT (stop consuming, flush the
 * producer, commit, close) with a deadline. A failure to start is one clear
 * log line and exit code 1.
 */
import { loadConfig, type WardenConfig } from '../../shared/config/index.js';
import { WardenError } from '../../shared/errors/index.js';
import { createLogger, type Logger } from '../../shared/logging/index.js';
import { enableProcessMetrics, type Registry } from '../../shared/metrics/index.js';
import { startHealthServer } from '../../shared/metrics/server.js';

export interface RunningService { ready: boolean; registry: Registry; stop(): Promise<void> }

export async function runService(
  name: string,
  defaultPort: number,
  start: (ctx: { config: WardenConfig; logger: Logger }) => Promise<RunningService>,
): Promise<void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  let logger = createLogger(name);
  try {
    const config = loadConfig();
    logger = createLogger(name, { level: config.logging.level });
    const service = await start({ config, logger });
    enableProcessMetrics(service.registry);
    const port = Number(process.env.WARDEN_METRICS_PORT ?? defaultPort);
    const health = await startHealthServer({ port, registry: service.registry, ready: () => service.ready });
    logger.info({ metricsPort: health.port }, `${name} started`);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `${name} stopping`);
      const deadline = setTimeout(() => {
        logger.error(`${name} did not stop within 30 s; exiting`);
        process.exit(1);
      }, 30_000);
      deadline.unref();
      await service.stop();
      await health.close();
      logger.info(`${name} stopped`);
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  } catch (err) {
    const e = err as Error;
    logger.fatal({ reason: err instanceof WardenError ? err.reason : undefined }, `${name} could not start: ${e.message}`);
    process.exit(1);
  }
}
