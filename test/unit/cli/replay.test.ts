/**
 * `warden replay` as a user meets it (issue 15 items 5 and 6): the real CLI
 * over files of bad and good lines. Exit 2 only with --strict; a capped
 * number of bad-line messages, then a count by reason; over-long lines
 * refused like the intake refuses oversized records; config validated.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgressLine } from '../../../cli/commands/replayReport.js';

interface Run { code: number; stdout: string; stderr: string }

function warden(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WARDEN_')));
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/bin/warden.mjs', ...args], { env: { ...clean, ...env }, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'warden-replay-'));
const good = (i: number) => JSON.stringify({
  eventId: `e-${i}`, agentId: 'agent-1', agentRole: 'support', tenantId: 't', seq: i, timestamp: 1_700_000_000_000 + i * 1000,
  action: 'tool.call', outcome: 'SUCCESS', resource: 'search',
});
function fileOf(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

// Each test starts the real CLI (about 2 s under tsx).
describe('warden replay', { timeout: 60_000 }, () => {
  it('parses the good line used below (the fixture itself is valid)', async () => {
    const r = await warden(['replay', fileOf('one.jsonl', [good(1)])]);
    expect(r.stderr).toMatch(/replay: 1 events, \d+ alerts, 0 bad lines/);
    expect(r.code).toBe(0);
  });

  it('skips bad lines with exit 0 unless --strict, and caps the messages before a count by reason', async () => {
    const lines = [good(1), ...Array.from({ length: 150 }, (_, i) => (i % 2 ? `garbage ${i}` : '{"agentId": 5}')), good(2)];
    const r = await warden(['replay', fileOf('bad.jsonl', lines)]);
    expect(r.code, r.stderr).toBe(0);
    const perLine = r.stderr.split('\n').filter((l) => /bad\.jsonl:\d+: /.test(l));
    expect(perLine.length).toBeGreaterThan(0);
    expect(perLine.length).toBeLessThanOrEqual(20);
    expect(r.stderr).toMatch(/130 more bad lines not shown/);
    expect(r.stderr).toMatch(/replay: 2 events, \d+ alerts, 150 bad lines skipped \(75 event\.schema-mismatch, 75 event\.undecodable\)/);
  });

  it('stops at the first bad line with --strict, exit code 2', async () => {
    const r = await warden(['replay', '--strict', fileOf('strict.jsonl', [good(1), 'nope', good(2)])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/strict\.jsonl:2: not valid JSON/);
    expect(r.stderr).toMatch(/replay: 1 events/);
  });

  it('refuses a line longer than the intake accepts (64 KiB), e.g. a 10 MB text field, without reading it as an event', async () => {
    const huge = JSON.stringify({ ...JSON.parse(good(3)), text: 'x'.repeat(10 * 1024 * 1024) });
    const r = await warden(['replay', fileOf('huge.jsonl', [good(1), huge, good(2)])]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/huge\.jsonl:2: line is 10485\d{3} bytes > 65536 \(the detector intake's limit\)/);
    expect(r.stderr).toMatch(/replay: 2 events, \d+ alerts, 1 bad lines skipped \(1 event\.oversized\)/);
  });

  it('validates the configuration like every other command', async () => {
    const r = await warden(['replay', fileOf('cfg.jsonl', [good(1)])], { WARDEN_DETECTOR_CHECKPOINT_MS: '-5' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid configuration:[\s\S]*WARDEN_DETECTOR_CHECKPOINT_MS=-5/);
    expect(r.stdout).toBe('');
  });
});

describe('replay progress', () => {
  it('rewrites one line on a TTY at most every 250 ms, and prints a plain line at most every 10 s elsewhere', () => {
    let now = 0;
    const written: string[] = [];
    const tty = new ProgressLine({ tty: true, write: (s) => written.push(s), now: () => now });
    for (let i = 0; i < 1000; i++) {
      now += 1;
      tty.update(i, 0);
    }
    expect(written.length).toBe(4); // t = 250, 500, 750, 1000
    expect(written[0]!.startsWith('\r\x1b[2Kreplay: 249 events')).toBe(true);

    const plainOut: string[] = [];
    now = 0;
    const plain = new ProgressLine({ tty: false, write: (s) => plainOut.push(s), now: () => now });
    for (let i = 0; i < 100_000; i++) {
      now += 1; // 100 s of input
      plain.update(i, 3);
    }
    expect(plainOut.length).toBe(10);
    expect(plainOut.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
});
