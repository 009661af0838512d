/**
 * `warden simulate --out` as a newcomer uses it (issue 15 items 2 and 7): it
 * also writes the keyring a detector then loads, and it never leaves out an
 * incident type without saying which and why.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Run { code: number; stdout: string; stderr: string }

function warden(args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WARDEN_')));
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/bin/warden.mjs', ...args], { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('warden simulate --out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-sim-'));

  it('writes the keyring the detector needs and says so; names an incident type it could not place, with the reason', async () => {
    const keyring = join(dir, 'keys.json');
    const r = await warden(['simulate', '--agents', '20', '--days', '3', '--out', join(dir, 'w.jsonl'), '--keyring', keyring]);
    expect(r.code, r.stderr).toBe(0);

    // Item 2: the keyring exists, covers every agent of the fleet, is owner-only, and the output says where it is.
    expect(existsSync(keyring)).toBe(true);
    expect(statSync(keyring).mode & 0o077).toBe(0);
    const agents = new Set(readFileSync(join(dir, 'w.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { agentId: string }).agentId));
    const keys = JSON.parse(readFileSync(keyring, 'utf8')) as Record<string, unknown>;
    for (const a of agents) if (!a.startsWith('impostor')) expect(Object.keys(keys)).toContain(a);
    expect(r.stderr).toContain(`WARDEN_KEYRING_FILE=${keyring}`);

    // Item 7: every requested type is either in the incidents printed, or named on stderr with why.
    const placed = new Set(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type));
    expect(placed.has('rate-spike')).toBe(false); // this fleet has no late joiner for the warm-up rate spike
    expect(r.stderr).toMatch(/not placed: rate-spike: 0 of 1 placed; .*no late-joining agent/);
    for (const t of ['exfil-volume', 'credential-burst', 'injection']) expect(placed.has(t)).toBe(true);
  }, 60_000);
});
