#!/usr/bin/env node
/**
 * The responder process: `node dist/services/responder/main.js` or `warden run responder`.
 * Environment: WARDEN_* config, WARDEN_POLICY (response policy YAML; default
 * rules/response.yaml built in), WARDEN_API_TOKENS (JSON array of {name, role,
 * token}; without it the HTTP API is off), WARDEN_API_PORT (default 8088),
 * WARDEN_METRICS_PORT (default 9465), WARDEN_RESPONDER_GROUP (default warden-responder).
 * With the API on, the web console is served at http://127.0.0.1:<WARDEN_API_PORT>/
 * (built by `npm run build`; WARDEN_CONSOLE_DIR overrides where the bundle is read from).
 */
import { loadPolicy, TokenAuth } from '../../shared/response/index.js';
import { isEntryPoint, runService, type ServiceDefinition } from '../common/run.js';
import { startApi } from './api.js';
import { startConsole } from './console.js';
import { ResponderService } from './service.js';

export const responder: ServiceDefinition = {
  name: 'responder',
  defaultPort: 9465,
  start: async ({ config, logger }) => {
    const groupId = process.env.WARDEN_RESPONDER_GROUP ?? 'warden-responder';
    const service = new ResponderService({ config, logger, policy: loadPolicy(process.env.WARDEN_POLICY), groupId });
    await service.start();
    // The console is part of the API: without tokens there is nothing to log in with.
    const auth = process.env.WARDEN_API_TOKENS ? TokenAuth.fromEnv() : null; // a bad token list fails before anything starts
    const view = auth ? await startConsole({ config, logger, responder: service, groupId: `${groupId}-console` }) : null;
    const api = view
      ? await startApi({ port: Number(process.env.WARDEN_API_PORT ?? 8088), auth: auth!, responder: service, logger, console: view })
      : null;
    if (api) logger.info({ apiPort: api.port }, 'approval API listening');
    else logger.warn('WARDEN_API_TOKENS not set: the approval API is off (approvals time out per policy)');
    return {
      get ready() { return service.ready; },
      registry: service.registry,
      stop: async () => {
        await api?.close();
        await view?.stop();
        await service.stop();
      },
    };
  },
};

if (isEntryPoint(import.meta.url)) await runService(responder);
