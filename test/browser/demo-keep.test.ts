/**
 * `warden demo --keep` as a newcomer runs it, in a child process on the
 * running stack: after the story it prints the console's URL and tokens and
 * stays up; the console answers with the demo's fleet (isolated agents
 * included) and opens in Chromium with the printed token; one Ctrl-C (SIGINT)
 * stops everything and the demo exits by itself with its verdict.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetView } from '../../services/responder/consoleStore.js';
import { eventually } from '../support/stack.js';

const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';

describe('warden demo --keep', () => {
  let child: ChildProcess | null = null;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('keeps the console up with a working token until Ctrl-C, then stops cleanly', async () => {
    let out = '';
    child = spawn(process.execPath, ['cli/bin/warden.mjs', 'demo', '--keep', '--console-port', '0', '--agents', '12', '--duration', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));

    const [, url, responderToken, viewerToken] = await eventually(
      () => /Console: (http:\/\/\S+) \(paste a token: responder (\S+) or viewer (\S+)\)/.exec(out) ?? (child!.exitCode !== null ? Promise.reject(new Error(`demo exited: ${out}`)) : undefined),
      150_000, 'the console line',
    );
    const fleet = (await (await fetch(`${url}v1/fleet`, { headers: { authorization: `Bearer ${responderToken}` } })).json()) as FleetView;
    expect(fleet.agents.length).toBeGreaterThanOrEqual(12);
    // The console's feed reads the run's quarantine topic; the demo isolated agents before printing the line.
    await eventually(async () => {
      const f = (await (await fetch(`${url}v1/fleet`, { headers: { authorization: `Bearer ${viewerToken}` } })).json()) as FleetView;
      return f.agents.some((a) => a.state !== 'active');
    }, 15_000, 'an isolated agent in the fleet view');
    expect((await fetch(`${url}v1/fleet`)).status).toBe(401);

    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(url!);
        await page.fill('#token', viewerToken!);
        await page.click('button[type=submit]');
        await page.waitForSelector('tr[data-state="quarantined"], tr[data-state="throttled"]');
        mkdirSync(join('.warden', 'screenshots'), { recursive: true });
        await page.screenshot({ path: join('.warden', 'screenshots', 'demo-fleet.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    }

    child.kill('SIGINT');
    // It stops itself (not killed by the signal) with the demo's own verdict: 0, or 5 when an incident went
    // undetected (a small fleet on a loaded 2-core machine sometimes misses one; cli-demo.test.ts judges detection).
    const { code, signal } = await exit;
    expect(signal, out.slice(-2000)).toBeNull();
    expect([0, 5], out.slice(-2000)).toContain(code);
    expect(out).toContain('Stopping the console and the services.');
  }, 240_000);
});
