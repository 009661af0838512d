/**
 * `warden demo --keep`: after the story, the demo's stack, services and the
 * console stay up until Ctrl-C, so a newcomer can click through what happened.
 * The console is served by the demo's own responder, with a responder and a
 * viewer token made for this run only (printed once; gone when it stops).
 */
import { randomBytes } from 'node:crypto';
import { startApi } from '../../services/responder/api.js';
import { startConsole } from '../../services/responder/console.js';
import type { ResponderService } from '../../services/responder/service.js';
import type { WardenConfig } from '../../shared/config/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { TokenAuth } from '../../shared/response/index.js';

export interface KeptConsole {
  url: string;
  tokens: { responder: string; viewer: string };
  stop(): Promise<void>;
}

/** Starts with the pipeline (so its feed reads the run as it happens, not all at the end). */
export async function startDemoConsole(o: { config: WardenConfig; logger: Logger; responder: ResponderService; runId: string; port: number }): Promise<KeptConsole> {
  const tokens = { responder: `demo-responder-${randomBytes(18).toString('base64url')}`, viewer: `demo-viewer-${randomBytes(18).toString('base64url')}` };
  const view = await startConsole({ config: o.config, logger: o.logger, responder: o.responder, groupId: `${o.runId}-console` });
  const auth = new TokenAuth([{ name: 'demo-responder', role: 'responder', token: tokens.responder }, { name: 'demo-viewer', role: 'viewer', token: tokens.viewer }]);
  const api = await startApi({ port: o.port, auth, responder: o.responder, logger: o.logger, console: view });
  return {
    url: `http://127.0.0.1:${api.port}/`,
    tokens,
    stop: async () => {
      await api.close();
      await view.stop();
    },
  };
}

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM. */
export function untilInterrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
