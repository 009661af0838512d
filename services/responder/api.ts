/**
 * The responder's HTTP API for humans in the loop. Bearer tokens with roles:
 * viewer reads, responder acts. Every request is logged with the caller's
 * name, never the token.
 *
 *   GET  /v1/approvals                       viewer
 *   POST /v1/approvals/:id/approve|deny      responder
 *   POST /v1/agents/:agentId/quarantine      responder   {"reason": "...", "ttlMs": 3600000}
 *   POST /v1/agents/:agentId/release         responder   {"reason": "..."}
 *   POST /v1/fleet/quarantine                responder   {"reason": "...", "confirm": "quarantine-the-whole-fleet"}
 *   POST /v1/fleet/release                   responder   {"reason": "..."}
 *   GET  /v1/audit/verify                    viewer
 *   GET  /v1/audit                           viewer      the latest 100 audit entries, newest first
 *   GET  /v1/me                              viewer      the caller's name and role (the console hides what it may not do)
 *   GET  /v1/fleet                           viewer      each agent's state, last seen, open alerts   (with the console)
 *   GET  /v1/alerts                          viewer      recent alerts with their evidence, newest first (with the console)
 *   GET  /v1/stream                          viewer      Server-Sent Events: alert, command, seen, audit (with the console)
 *   GET  /, /*.js, /*.css                    none        the console's static files (services/console, built to dist/console)
 *
 * Every isolation goes through the responder's gate (shared/response/gate.ts):
 * a refusal is answered 400 for the request itself (the fleet key on an agent
 * route, a missing confirmation) and 409 for what the gate found (an
 * approval for an alert from unverified events), with the gate's code and reason.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/logging/index.js';
import { FLEET, FLEET_CONFIRMATION, TokenAuth, type Role } from '../../shared/response/index.js';
import type { ConsoleServer } from './console.js';
import type { IsolationOutcome, ResponderService } from './service.js';
import { serveConsole } from './staticFiles.js';

/** Re-exported for callers that knew it here; it lives with the gate that checks it. */
export { FLEET_CONFIRMATION };

/** The HTTP answer to an isolation outcome. */
function answer(out: IsolationOutcome, extra: Record<string, unknown> = {}): [number, unknown] {
  if (out.outcome === 'issued') return [200, { ...extra, command: out.command }];
  if (out.outcome === 'held') return [202, { ...extra, held: out.approvalId, code: out.verdict.code, reason: out.verdict.reason }];
  const requestFault = ['fleet-key', 'fleet-unconfirmed', 'fleet-path-not-fleet-key'].includes(out.verdict.code);
  return [requestFault ? 400 : 409, { ...extra, error: out.verdict.reason, code: out.verdict.code }];
}

interface Route { method: string; pattern: RegExp; role: Role; handle: (m: RegExpExecArray, body: Record<string, unknown>, who: string, role: Role) => Promise<[number, unknown]> }

export async function startApi(opts: { port: number; host?: string; auth: TokenAuth; responder: ResponderService; logger: Logger; console?: ConsoleServer }): Promise<{ port: number; close(): Promise<void> }> {
  const { responder, auth, logger } = opts;
  const view = opts.console;
  const routes: Route[] = [
    { method: 'GET', pattern: /^\/v1\/me$/, role: 'viewer', handle: async (_m, _b, name, role) => [200, { name, role }] },
    { method: 'GET', pattern: /^\/v1\/approvals$/, role: 'viewer', handle: async () => [200, await responder.approvals.list()] },
    {
      method: 'POST', pattern: /^\/v1\/approvals\/([\w-]+)\/approve$/, role: 'responder',
      handle: async (m, _b, who) => {
        const out = await responder.approve(m[1]!, `operator:${who}`);
        return out ? answer(out, { approved: m[1] }) : [404, { error: `no pending approval ${m[1]}` }];
      },
    },
    {
      method: 'POST', pattern: /^\/v1\/approvals\/([\w-]+)\/deny$/, role: 'responder',
      handle: async (m, _b, who) => ((await responder.deny(m[1]!, `operator:${who}`)) ? [200, { denied: m[1] }] : [404, { error: `no pending approval ${m[1]}` }]),
    },
    {
      method: 'POST', pattern: /^\/v1\/agents\/([^/]+)\/(quarantine|release)$/, role: 'responder',
      handle: async (m, body, who) => {
        const agentId = decodeURIComponent(m[1]!);
        const reason = typeof body.reason === 'string' && body.reason ? body.reason : null;
        if (m[2] === 'quarantine' && !reason) return [400, { error: 'reason is required' }];
        const ttlMs = typeof body.ttlMs === 'number' && body.ttlMs > 0 ? body.ttlMs : null;
        // The fleet key on this route is refused by the gate (path operator): the fleet has its own route.
        const out = await responder.manual({ path: 'operator', agentId, type: m[2] === 'quarantine' ? 'QUARANTINE' : 'RELEASE', reason: reason ?? 'released by an operator', who: `operator:${who}`, ttlMs });
        return agentId === FLEET && out.outcome === 'refused' ? [400, { error: `${out.verdict.reason}; use /v1/fleet/${m[2]}`, code: out.verdict.code }] : answer(out);
      },
    },
    {
      method: 'POST', pattern: /^\/v1\/fleet\/(quarantine|release)$/, role: 'responder',
      handle: async (m, body, who) => {
        const reason = typeof body.reason === 'string' && body.reason ? body.reason : `fleet ${m[1]} by an operator`;
        const confirmation = typeof body.confirm === 'string' ? body.confirm : null;
        return answer(await responder.manual({ path: 'fleet', agentId: FLEET, type: m[1] === 'quarantine' ? 'QUARANTINE' : 'RELEASE', reason, who: `operator:${who}`, confirmation }));
      },
    },
    { method: 'GET', pattern: /^\/v1\/audit\/verify$/, role: 'viewer', handle: async () => [200, await responder.audit.verify()] },
    { method: 'GET', pattern: /^\/v1\/audit$/, role: 'viewer', handle: async () => [200, (await responder.audit.recent(100)).reverse()] },
    ...(view
      ? [
        { method: 'GET', pattern: /^\/v1\/fleet$/, role: 'viewer', handle: async () => [200, await view.store.fleet(Date.now())] },
        { method: 'GET', pattern: /^\/v1\/alerts$/, role: 'viewer', handle: async () => [200, await view.store.alerts()] },
        // Answered by the hub (it keeps the response open); see handle().
        { method: 'GET', pattern: /^\/v1\/stream$/, role: 'viewer', handle: async () => [500, { error: 'unreachable' }] },
      ] satisfies Route[]
      : []),
  ];

  const server: Server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const path = (req.url ?? '/').split('?')[0]!;
    let status = 500;
    let who = 'anonymous';
    const send = (code: number, body: unknown) => {
      status = code;
      res.writeHead(code, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    try {
      const route = routes.find((r) => r.pattern.test(path));
      if (!route) {
        if (view && req.method === 'GET' && (await serveConsole(view.dir, path, res))) return void (status = res.statusCode);
        return send(404, { error: 'not found' });
      }
      if (route.method !== req.method) return send(405, { error: `use ${route.method}` });
      const caller = auth.identify(req.headers.authorization);
      if (!caller) {
        res.setHeader('www-authenticate', 'Bearer');
        return send(401, { error: 'missing or invalid bearer token' });
      }
      who = caller.name;
      if (!TokenAuth.allows(caller.role, route.role)) return send(403, { error: `needs the ${route.role} role` });
      if (view && path === '/v1/stream') {
        if (!view.hub.add(res)) return send(503, { error: 'too many open streams' });
        status = 200;
        return;
      }
      let body: Record<string, unknown> = {};
      if (req.method === 'POST') {
        const text = await readBody(req, 64 * 1024);
        if (text) {
          try {
            const parsed: unknown = JSON.parse(text);
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return send(400, { error: 'body must be a JSON object' });
            body = parsed as Record<string, unknown>;
          } catch {
            return send(400, { error: 'body is not valid JSON' });
          }
        }
      }
      const [code, out] = await route.handle(route.pattern.exec(path)!, body, caller.name, caller.role);
      send(code, out);
    } catch (err) {
      logger.error({ err: (err as Error).message, path }, 'api request failed');
      if (!res.headersSent) send(500, { error: 'internal error' });
    } finally {
      // No Authorization header here, ever.
      logger.info({ method: req.method, path, status, caller: who, ms: Date.now() - started }, 'api request');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => {
      view?.hub.close(); // open event streams would otherwise hold close() forever
      server.close(() => r());
      server.closeIdleConnections();
    }),
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
