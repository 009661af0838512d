#!/usr/bin/env node
/**
 * The otel-ingest process: `node dist/services/otel-ingest/main.js`.
 * Environment: the usual WARDEN_* config (WARDEN_OTEL_*, WARDEN_TOPIC_OTLP_SPANS: README "Watch agents
 * that already emit OpenTelemetry"), WARDEN_KEYRING_FILE (must hold attester:otel-ingest),
 * WARDEN_METRICS_PORT (default 9467).
 */
import { Keyring } from '../../shared/signing/index.js';
import { isEntryPoint, runService, type ServiceDefinition } from '../common/run.js';
import { OtelIngestService } from './service.js';

export const otelIngest: ServiceDefinition = {
  name: 'otel-ingest',
  defaultPort: 9467,
  async start({ config, logger }) {
    const service = new OtelIngestService({ config, logger, keyring: Keyring.load() });
    await service.start();
    return { get ready() { return service.ready; }, registry: service.registry, stop: () => service.stop() };
  },
};

if (isEntryPoint(import.meta.url)) await runService(otelIngest);
