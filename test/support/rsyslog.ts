/** A real rsyslogd on a free loopback port with its own config, writing what it receives to a file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portOpen } from '../../cli/stack/process.js';
import { eventually } from './stack.js';

export interface Rsyslog { port: number; outFile: string; lines(): string[]; stop(): Promise<void> }

export function rsyslogBinary(): string | null {
  return ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((p) => existsSync(p)) ?? null;
}

export async function startRsyslog(): Promise<Rsyslog> {
  const bin = rsyslogBinary();
  if (!bin) throw new Error('rsyslogd not found: apt-get install rsyslog (.ci/run does this)');
  const dir = mkdtempSync(join(tmpdir(), 'warden-rsyslog-'));
  const port = await freePort();
  const outFile = join(dir, 'received.log');
  writeFileSync(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="warden") { action(type="omfile" file="${outFile}" template="raw") }
input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="warden")
`,
  );
  const child: ChildProcess = spawn(bin, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await eventually(() => portOpen(port), 15_000, `rsyslogd to listen on ${port} (${stderr.trim()})`);
  return {
    port,
    outFile,
    lines: () => (existsSync(outFile) ? readFileSync(outFile, 'utf8').split('\n').filter(Boolean) : []),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    },
  };
}
