/**
 * Human-in-the-loop commands:
 *   warden approvals list|approve <id>|deny <id>   through the responder's HTTP API (bearer token)
 *   warden quarantine <agentId> --reason ...        directly on agent.quarantine, audited
 *   warden release <agentId>
 *   warden kill-switch --confirm quarantine-the-whole-fleet --reason ...   every agent at once
 *   warden audit verify                            checks the audit hash chain in Redis
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { AuditLog } from '../../services/responder/auditLog.js';
import { FLEET_CONFIRMATION } from '../../services/responder/api.js';
import { Isolations } from '../../services/responder/isolations.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { buildCommand, FLEET } from '../../shared/response/index.js';
import type { CommandType } from '../../shared/schemas/generated.js';
import { configFrom, type GlobalOptions } from './common.js';
import { formatCommand } from './tail.js';

interface ApiOptions { url: string; token?: string; json?: boolean }

async function api(opts: ApiOptions, method: string, path: string): Promise<unknown> {
  const token = opts.token ?? process.env.WARDEN_API_TOKEN;
  if (!token) throw new Error('no API token: pass --token or set WARDEN_API_TOKEN');
  let res: Response;
  try {
    res = await fetch(`${opts.url.replace(/\/$/, '')}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  } catch {
    throw new Error(`cannot reach the responder API at ${opts.url} (is the responder running with WARDEN_API_TOKENS?)`);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${body.error ?? res.statusText}`);
  return body;
}

async function issue(globals: GlobalOptions, agentId: string, type: CommandType, reason: string, ttlMs: number | null): Promise<void> {
  const config = configFrom(globals);
  const redis = createRedis(config);
  const isolations = new Isolations(createKafka(config, createLogger('warden', { level: 'error' })), config, redis, new AuditLog(redis));
  const who = `operator:${userInfo().username}`;
  try {
    await isolations.connect();
    const cmd = buildCommand({ agentId, type, reason, issuedBy: who, issuedAt: Date.now(), ttlMs, requestId: `${who}:${Date.now()}` });
    await isolations.issue(cmd, who);
    process.stdout.write(`${formatCommand(cmd)}\n`);
  } finally {
    await isolations.disconnect();
    await redis.quit();
  }
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

  program
    .command('quarantine')
    .description('quarantine one agent now: its SDK refuses every guarded call')
    .argument('<agentId>')
    .requiredOption('--reason <text>', 'why (goes to the agent, the audit trail and the SIEM)')
    .option('--ttl <duration>', 'release automatically after this long (e.g. 30m, 2h)')
    .action(async (agentId: string, opts: { reason: string; ttl?: string }) => {
      if (agentId === FLEET) throw new Error('use `warden kill-switch` for the whole fleet');
      await issue(globals(), agentId, 'QUARANTINE', opts.reason, opts.ttl ? duration(opts.ttl) : null);
    });
  program
    .command('release')
    .description('release an agent (or, with "*", the fleet-wide kill switch)')
    .argument('<agentId>')
    .option('--reason <text>', 'why', 'released by an operator')
    .action(async (agentId: string, opts: { reason: string }) => issue(globals(), agentId, 'RELEASE', opts.reason, null));
  program
    .command('kill-switch')
    .description('quarantine EVERY agent at once')
    .requiredOption('--reason <text>', 'why')
    .option('--confirm <phrase>', `must be exactly "${FLEET_CONFIRMATION}"`)
    .action(async (opts: { reason: string; confirm?: string }) => {
      if (opts.confirm !== FLEET_CONFIRMATION) throw new Error(`the fleet-wide kill switch needs --confirm ${FLEET_CONFIRMATION}`);
      await issue(globals(), FLEET, 'QUARANTINE', opts.reason, null);
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
