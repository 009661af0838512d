/**
 * The README's form of the command works in a fresh clone after only `npm ci`
 * (issue 15 item 1): `npx warden --help`, no build step. Clones the committed
 * HEAD of this repository into a temporary directory; slow (npm ci), so one
 * focused test. npm's cache makes the install offline-fast after the first run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface Run { code: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  // npm_* variables of the outer `npm test` would point npx at this checkout, not the clone.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('a fresh clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-clone-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs `npx warden --help` after `npm ci`, with no build', async () => {
    const clone = await run('git', ['clone', '--quiet', '--depth', '1', `file://${process.cwd()}`, dir], process.cwd(), 60_000);
    expect(clone.code, clone.stderr).toBe(0);
    const ci = await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], dir, 240_000);
    expect(ci.code, ci.stderr).toBe(0);

    const help = await run('npx', ['--no-install', 'warden', '--help'], dir, 60_000);
    expect(help.stderr).not.toMatch(/not found|ERR_MODULE_NOT_FOUND/);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: warden /m);
    expect(help.stdout).toMatch(/\bsimulate\b/);
  }, 360_000);
});
