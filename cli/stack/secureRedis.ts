/**
 * The secure stack's Redis: TLS only (`--port 0`), the default user off, one
 * ACL user per service with the keys and commands it needs. The ACL file holds
 * SHA-256 hashes of the passwords, not the passwords.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { redisPing } from './redis.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { readPemFile } from '../../shared/config/files.js';
import { writePrivate, type Credentials, type RedisUser } from './credentials.js';
import type { Progress } from './maven.js';
import type { StackPaths } from './paths.js';
import { freePort, requireTool, startDaemon, waitFor, type Daemon } from './process.js';
import type { TlsFiles } from './tls.js';

/**
 * Key patterns (under the configured key prefix) and commands per user. Every service gets the
 * read, write and MULTI/WATCH commands on its own keys and nothing dangerous (FLUSHALL, KEYS,
 * CONFIG, ACL, DEBUG, SCAN...); INFO is for the client's ready check. EVAL runs the detector's
 * fenced checkpoint (services/detector/stateStore.ts); the commands inside a script are checked
 * against the same grants, so a script reaches no other keys. EVALSHA, SCRIPT and FUNCTION stay off.
 */
export const REDIS_GRANTS: Record<RedisUser, { role: string; keys: string[] }> = {
  detector: { role: 'per-agent state, covered offsets, peer state', keys: ['detector:*'] },
  responder: { role: 'approvals, active isolations, seen alerts, the audit trail', keys: ['responder:*', 'audit:*'] },
  'siem-forwarder': { role: 'reserved (the forwarder keeps no Redis state today)', keys: ['siem:*'] },
  operator: { role: 'the CLI: approvals, audit verify', keys: ['*'] },
};

const COMMANDS = '-@all +@read +@write +@transaction +@connection -@dangerous -scan +eval +info';

export function redisDaemon(paths: StackPaths): Daemon {
  return { name: 'redis', pidFile: join(paths.run, 'redis.pid'), logFile: join(paths.logs, 'redis.log') };
}

export function aclFile(config: WardenConfig, credentials: Credentials): string {
  const prefix = config.redis.keyPrefix;
  const lines = ['user default off resetpass nocommands resetkeys'];
  for (const [user, grant] of Object.entries(REDIS_GRANTS) as [RedisUser, (typeof REDIS_GRANTS)[RedisUser]][]) {
    const hash = createHash('sha256').update(credentials.redis[user]).digest('hex');
    lines.push(`user ${user} on #${hash} resetkeys ${grant.keys.map((k) => `~${prefix}${k}`).join(' ')} resetchannels ${COMMANDS}`);
  }
  return `${lines.join('\n')}\n`;
}

/** PING over TLS as `user`; false on any refusal or when nothing answers. */
export function secureRedisPing(url: string, tls: TlsFiles, user: RedisUser, credentials: Credentials): Promise<boolean> {
  return redisPing(url, { username: user, password: credentials.redis[user], tls: { ca: [readPemFile('redis.tls.ca', tls.caCert)] } });
}

export async function startSecureRedis(config: WardenConfig, paths: StackPaths, tls: TlsFiles, credentials: Credentials, progress: Progress): Promise<{ url: string; pid: number }> {
  const server = requireTool('redis-server', 'install Redis (apt-get install redis-server; Debian builds it with TLS)');
  const acl = join(paths.dir, 'redis-users.acl');
  writePrivate(acl, aclFile(config, credentials));
  const port = await freePort();
  const pid = startDaemon(redisDaemon(paths), server, [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1',
    '--tls-cert-file', tls.serverCert, '--tls-key-file', tls.serverKey, '--tls-ca-cert-file', tls.caCert,
    // Clients authenticate with their ACL user's password; TLS authenticates the server and encrypts.
    '--tls-auth-clients', 'no',
    '--aclfile', acl, '--save', '', '--appendonly', 'no', '--dir', paths.data,
  ]);
  const url = `rediss://127.0.0.1:${port}`;
  progress(`redis (secure): started redis-server with TLS on ${port} (pid ${pid})`);
  await waitFor('redis (secure)', () => secureRedisPing(url, tls, 'operator', credentials), 20_000, redisDaemon(paths).logFile);
  return { url, pid };
}
