#!/usr/bin/env node
/**
 * The responder process: `node dist/services/responder/main.js`.
 * Environment: WARDEN_* config, WARDEN_POLICY (response policy YAML; default
 * rules/response.yaml built in), WARDEN_API_TOKENS (JSON array of {name, role,
 * token}; without it the HTTP API is off), WARDEN_API_PORT (default 8088),
 * WARDEN_METRICS_PORT (default 9465).
 */
import { loadPolicy, TokenAuth } from '../../shared/response/index.js';
import { runService } from '../common/run.js';
import { startApi } from './api.js';
import { ResponderService } from './service.js';

await runService('responder', 9465, async ({ config, logger }) => {
  const responder = new ResponderService({ config, logger, policy: loadPolicy(process.env.WARDEN_POLICY) });
  await responder.start();
  const api = process.env.WARDEN_API_TOKENS
    ? await startApi({ port: Number(process.env.WARDEN_API_PORT ?? 8088), auth: TokenAuth.fromEnv(), responder, logger })
    : null;
  if (api) logger.info({ apiPort: api.port }, 'approval API listening');
  else logger.warn('WARDEN_API_TOKENS not set: the approval API is off (approvals time out per policy)');
  return {
    get ready() { return responder.ready; },
    registry: responder.registry,
    stop: async () => {
      await api?.close();
      await responder.stop();
    },
  };
});
