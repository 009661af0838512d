#!/usr/bin/env node
/**
 * The detector process: `node dist/services/detector/main.js` or `warden run detector`.
 * Environment: the usual WARDEN_* config, WARDEN_KEYRING_FILE (agents' keys),
 * WARDEN_RULES (rules YAML; default rules/detection.yaml built in),
 * WARDEN_METRICS_PORT (default 9464), WARDEN_DETECTOR_GROUP (default warden-detector),
 * WARDEN_DETECTOR_NAME_HASH_SECRET (the secret seed of the hashes agents' remembered names are kept as;
 * env only, so it never sits in a config object; every detector instance of a group needs the same one).
 */
import { Keyring } from '../../shared/signing/index.js';
import { ConfigError } from '../../shared/errors/index.js';
import { isEntryPoint, runService, type ServiceDefinition } from '../common/run.js';
import { createDetectionEngine } from './engine.js';
import { DetectorService } from './service.js';

export const detector: ServiceDefinition = {
  name: 'detector',
  defaultPort: 9464,
  start: async ({ config, logger }) => {
    const engine = createDetectionEngine(process.env.WARDEN_RULES, { nameHashSecret: nameHashSecret(process.env, logger) });
    const service = new DetectorService({ config, logger, engine, keyring: Keyring.load(), groupId: process.env.WARDEN_DETECTOR_GROUP });
    await service.start();
    return { get ready() { return service.ready; }, registry: service.registry, stop: () => service.stop() };
  },
};

/** Minimum length of WARDEN_DETECTOR_NAME_HASH_SECRET: a short secret could be searched for. */
const MIN_NAME_HASH_SECRET = 16;

/**
 * The name-hash secret (baseline/seenSet.ts): unset, the hashes are unkeyed and an agent that controls part of a
 * name could compute one that reads as a name it already uses; so say so, once, at start.
 */
export function nameHashSecret(env: Record<string, string | undefined>, logger: { warn: (msg: string) => void }): string | undefined {
  const secret = env.WARDEN_DETECTOR_NAME_HASH_SECRET;
  if (secret === undefined || secret === '') {
    logger.warn('WARDEN_DETECTOR_NAME_HASH_SECRET not set: agents\' remembered names are hashed unkeyed (local stack, demo and tests only; set a random secret of 16+ characters in production, the same for every detector instance)');
    return undefined;
  }
  if (secret.length < MIN_NAME_HASH_SECRET) throw new ConfigError([`WARDEN_DETECTOR_NAME_HASH_SECRET: at least ${MIN_NAME_HASH_SECRET} characters (a random string; it is never logged)`]);
  return secret;
}

if (isEntryPoint(import.meta.url)) await runService(detector);
