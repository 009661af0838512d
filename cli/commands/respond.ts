/**
 * Human-in-the-loop commands, all through the responder's HTTP API with a bearer token (--token or
 * $WARDEN_API_TOKEN, --url or $WARDEN_API_URL), so every isolation meets the responder's gate and is
 * audited under the token's name:
 *   warden approvals list|approve <id>|deny <id>
 *   warden quarantine <agentId> --reason ... [--ttl 2h]
 *   warden release <agentId>                        ("*" lifts the fleet-wide kill switch)
 *   warden kill-switch --confirm quarantine-the-whole-fleet --reason ...   every agent at once
 *   warden audit verify                            checks the audit hash chain in Redis (read-only)
 */
import type { Command } from 'commander';
import { AuditLog } from '../../services/responder/auditLog.js';
import { WardenError, type ReasonCode } from '../../shared/errors/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { FLEET, FLEET_CONFIRMATION } from '../../shared/response/index.js';
import type { QuarantineCommand } from '../../shared/schemas/generated.js';
import { configFrom, type GlobalOptions } from './common.js';
import { formatCommand } from './tail.js';

interface ApiOptions { url: string; token?: string; json?: boolean }

/** The responder API said no, or could not be asked. Never carries the token. */
export class ResponderApiError extends WardenError {
  constructor(
    reason: ReasonCode,
    message: string,
    readonly status: number | null = null,
  ) {
    super(reason, message);
  }
}

const START_HINT = 'start the responder with its API on: WARDEN_API_TOKENS=\'[{"name":"you","role":"responder","token":"..."}]\' node dist/services/responder/main.js (port $WARDEN_API_PORT, default 8088), or point --url at it';

async function api(opts: ApiOptions, method: string, path: string, body?: Record<string, unknown>): Promise<unknown> {
  const token = opts.token ?? process.env.WARDEN_API_TOKEN;
  if (!token) throw new ResponderApiError('api.no-token', 'no API token: pass --token or set WARDEN_API_TOKEN (a token from the responder\'s WARDEN_API_TOKENS)');
  const url = `${opts.url.replace(/\/$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ResponderApiError('api.unreachable', `cannot reach the responder API at ${opts.url}: ${START_HINT}`);
  }
  const out = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  const said = typeof out.error === 'string' ? out.error : res.statusText;
  if (res.status === 401) throw new ResponderApiError('api.unauthorized', `${method} ${path}: 401 the responder did not accept this token (check --token or WARDEN_API_TOKEN)`, 401);
  if (res.status === 403) throw new ResponderApiError('api.forbidden', `${method} ${path}: 403 ${said} (this token's role may not do this)`, 403);
  if (res.status === 400 || res.status === 409) throw new ResponderApiError('api.refused', `${method} ${path}: ${res.status} refused: ${said}${typeof out.code === 'string' ? ` (${out.code})` : ''}`, res.status);
  if (!res.ok) throw new ResponderApiError('api.failed', `${method} ${path}: ${res.status} ${said}`, res.status);
  return out;
}

/** Prints what the responder did with an isolation request. */
function printOutcome(answer: unknown, json: boolean | undefined): void {
  const out = answer as { command?: QuarantineCommand; held?: string; reason?: string };
  if (json) return void process.stdout.write(`${JSON.stringify(out)}\n`);
  if (out.command) return void process.stdout.write(`${formatCommand(out.command)}\n`);
  process.stdout.write(`held for approval ${out.held ?? '?'}: ${out.reason ?? ''}\n`);
}

const duration = (v: string): number => {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v);
  if (!m) throw new Error(`bad duration "${v}" (use e.g. 30m, 2h, 1d)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
};

export function registerRespond(program: Command, globals: () => GlobalOptions): void {
  const approvals = program.command('approvals').description('pending isolations waiting for a human (through the responder API)');
  const withApi = (c: Command) =>
    c.option('--url <url>', 'responder API', process.env.WARDEN_API_URL ?? 'http://127.0.0.1:8088').option('--token <token>', 'bearer token (default $WARDEN_API_TOKEN)').option('--json', 'print JSON');
  withApi(approvals.command('list').description('list pending approvals')).action(async (opts: ApiOptions) => {
    const list = (await api(opts, 'GET', '/v1/approvals')) as { id: string; agentId: string; alert: { severity: string; title: string; ruleId: string }; decision: { action: string; revoke: string[] }; expiresAt: number }[];
    if (opts.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    if (list.length === 0) return void process.stdout.write('no pending approvals\n');
    for (const p of list) process.stdout.write(`${p.id}  ${p.agentId}  ${p.decision.action}${p.decision.revoke.length ? ` ${p.decision.revoke.join(',')}` : ''}  ${p.alert.severity} ${p.alert.ruleId}: ${p.alert.title}  (expires ${new Date(p.expiresAt).toISOString()})\n`);
  });
  for (const verb of ['approve', 'deny'] as const) {
    withApi(approvals.command(verb).argument('<id>', 'approval id from `warden approvals list`').description(`${verb} a pending isolation`)).action(async (id: string, opts: ApiOptions) => {
      const out = await api(opts, 'POST', `/v1/approvals/${encodeURIComponent(id)}/${verb}`);
      process.stdout.write(opts.json ? `${JSON.stringify(out)}\n` : `${verb === 'approve' ? 'approved' : 'denied'} ${id}\n`);
    });
  }

  withApi(
    program
      .command('quarantine')
      .description('quarantine one agent now: its SDK refuses every guarded call')
      .argument('<agentId>')
      .requiredOption('--reason <text>', 'why (goes to the agent, the audit trail and the SIEM)')
      .option('--ttl <duration>', 'release automatically after this long (e.g. 30m, 2h)'),
  ).action(async (agentId: string, opts: ApiOptions & { reason: string; ttl?: string }) => {
    const body = { reason: opts.reason, ...(opts.ttl ? { ttlMs: duration(opts.ttl) } : {}) };
    try {
      printOutcome(await api(opts, 'POST', `/v1/agents/${encodeURIComponent(agentId)}/quarantine`, body), opts.json);
    } catch (err) {
      // The gate refused the fleet key on an agent path; say which command does it.
      if (agentId === FLEET && err instanceof ResponderApiError && err.status === 400) throw new ResponderApiError('api.refused', `${err.message}; use \`warden kill-switch\` for the whole fleet`, 400);
      throw err;
    }
  });
  withApi(
    program
      .command('release')
      .description('release an agent (or, with "*", the fleet-wide kill switch)')
      .argument('<agentId>')
      .option('--reason <text>', 'why', 'released by an operator'),
  ).action(async (agentId: string, opts: ApiOptions & { reason: string }) => {
    const path = agentId === FLEET ? '/v1/fleet/release' : `/v1/agents/${encodeURIComponent(agentId)}/release`;
    printOutcome(await api(opts, 'POST', path, { reason: opts.reason }), opts.json);
  });
  withApi(
    program
      .command('kill-switch')
      .description('quarantine EVERY agent at once')
      .requiredOption('--reason <text>', 'why')
      .option('--confirm <phrase>', `must be exactly "${FLEET_CONFIRMATION}"`),
  ).action(async (opts: ApiOptions & { reason: string; confirm?: string }) => {
    // The responder checks the phrase (and audits a refusal); it is sent as typed.
    printOutcome(await api(opts, 'POST', '/v1/fleet/quarantine', { reason: opts.reason, ...(opts.confirm !== undefined ? { confirm: opts.confirm } : {}) }), opts.json);
  });

  program
    .command('audit')
    .description('the audit trail of decisions, approvals and releases')
    .command('verify')
    .description('check the hash chain; points at the first broken entry')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const redis = createRedis(configFrom(globals()));
      try {
        const v = await new AuditLog(redis).verify();
        if (opts.json) process.stdout.write(`${JSON.stringify(v)}\n`);
        else process.stdout.write(v.ok ? `audit chain intact: ${v.entries} entries\n` : `audit chain BROKEN at entry ${v.firstBrokenIndex} of ${v.entries}: ${v.reason}\n`);
        if (!v.ok) process.exitCode = 4;
      } finally {
        await redis.quit();
      }
    });
}
