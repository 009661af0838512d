/** Writes one benchmark's section into bench/RESULTS.md (between its markers), with the machine and the command. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';

export const RESULTS_FILE = 'bench/RESULTS.md';

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`;
}

/** The commit measured, and which files outside bench/ differed from it (read-only git; no index refresh). */
export function codeVersion(): string {
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['--no-optional-locks', ...args], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const head = git('rev-parse', '--short', 'HEAD');
  if (!head) return 'an unknown commit';
  const changed = (git('diff', '--name-only', 'HEAD') ?? '').split('\n').filter((f) => f && !f.startsWith('bench/'));
  return `commit ${head}${changed.length ? ` with uncommitted changes to ${changed.join(', ')}` : ''}`;
}

export function writeSection(name: string, body: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '# Benchmark results\n\nWritten by `npm run bench` (see bench/README.md). Each section says when, on what, and with which command it was measured.\n';
  const section = `${start}\n${body.trim()}\n\n_Measured ${new Date().toISOString()} on ${machine()}, code at ${codeVersion()}._\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS_FILE, next);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
