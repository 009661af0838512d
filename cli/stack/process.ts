/**
 * Small process and network helpers for the local stack: find tools, wait for
 * ports and HTTP endpoints with a deadline, start detached daemons with their
 * logs in files, and stop them by pid file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { StackError } from '../../shared/errors/index.js';

export function which(tool: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function requireTool(tool: string, fix: string): string {
  const path = which(tool);
  if (!path) throw new StackError('stack.missing-tool', `${tool} not found: ${fix}, or run the stack with \`docker compose up\``);
  return path;
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true or the deadline passes; a poll with a deadline, never a blind sleep. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logHint?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let interval = 100; Date.now() < deadline; interval = Math.min(interval * 1.5, 1000)) {
    if (await check().catch(() => false)) return;
    await delay(interval);
  }
  throw new StackError('stack.timeout', `${what} not ready after ${Math.round(timeoutMs / 1000)} s${logHint ? `; see ${logHint}` : ''}`);
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

export interface Daemon { name: string; pidFile: string; logFile: string }

/** Starts a detached process whose output goes to its log file; records its pid. */
export function startDaemon(d: Daemon, command: string, args: string[], cwd?: string): number {
  const fd = openSync(d.logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], cwd });
    if (child.pid === undefined) throw new StackError('stack.timeout', `could not start ${d.name} (${command})`);
    child.unref();
    writeFileSync(d.pidFile, String(child.pid));
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function readPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, wait for a clean exit, then SIGKILL. Removes the pid file. */
export async function stopDaemon(d: Daemon, graceMs = 30_000): Promise<boolean> {
  const pid = readPid(d.pidFile);
  if (pid === null || !alive(pid)) {
    rmSync(d.pidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await delay(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(d.pidFile, { force: true });
  return true;
}
