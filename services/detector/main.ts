#!/usr/bin/env node
/**
 * The detector process: `node dist/services/detector/main.js` or `warden run detector`.
 * Environment: the usual WARDEN_* config, WARDEN_KEYRING_FILE (agents' keys),
 * WARDEN_RULES (rules YAML; default rules/detection.yaml built in),
 * WARDEN_METRICS_PORT (default 9464), WARDEN_DETECTOR_GROUP (default warden-detector).
 */
import { Keyring } from '../../shared/signing/index.js';
import { isEntryPoint, runService, type ServiceDefinition } from '../common/run.js';
import { createDetectionEngine } from './engine.js';
import { DetectorService } from './service.js';

export const detector: ServiceDefinition = {
  name: 'detector',
  defaultPort: 9464,
  start: async ({ config, logger }) => {
    const engine = createDetectionEngine(process.env.WARDEN_RULES);
    const service = new DetectorService({ config, logger, engine, keyring: Keyring.load(), groupId: process.env.WARDEN_DETECTOR_GROUP });
    await service.start();
    return { get ready() { return service.ready; }, registry: service.registry, stop: () => service.stop() };
  },
};

if (isEntryPoint(import.meta.url)) await runService(detector);
