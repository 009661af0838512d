/**
 * `warden run all` as a real child process against the running stack: the
 * three services come up with a health server each, and one SIGTERM stops
 * them cleanly (exit 0, every service says it stopped, nothing logged at
 * error level or above). Topics, Redis prefix and consumer groups are the
 * test's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../shared/redis/index.js';
import { eventually, isolatedConfig, provisionTopics } from '../support/stack.js';

const config = isolatedConfig('cli-run');
const SERVICES = ['detector', 'responder', 'siem-forwarder'];

interface LogLine { level: number; name?: string; msg: string; healthPort?: number }

function childEnv(): NodeJS.ProcessEnv {
  const { WARDEN_API_TOKENS: _t, WARDEN_METRICS_PORT: _m, ...rest } = process.env;
  const t = config.topics;
  return {
    ...rest,
    WARDEN_TOPIC_EVENTS: t.events.name, WARDEN_TOPIC_DLQ: t.dlq.name, WARDEN_TOPIC_ALERTS: t.alerts.name,
    WARDEN_TOPIC_QUARANTINE: t.quarantine.name, WARDEN_TOPIC_SIEM: t.siem.name,
    WARDEN_REDIS_KEY_PREFIX: config.redis.keyPrefix,
    WARDEN_DETECTOR_GROUP: `${t.events.name}-detector`,
    WARDEN_RESPONDER_GROUP: `${t.events.name}-responder`,
    WARDEN_SIEM_FORWARDER_GROUP: `${t.events.name}-siem`,
    WARDEN_KEYRING: JSON.stringify({ 'run-agent-1': { k1: 'run-agent-secret-0123456789' } }),
    WARDEN_LOG_LEVEL: 'info',
  };
}

describe('warden run all', () => {
  let child: ChildProcess;
  const lines: LogLine[] = [];
  const raw: string[] = [];
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  beforeAll(async () => {
    await provisionTopics(config);
    child = spawn(process.execPath, ['cli/bin/warden.mjs', 'run', 'all', '--health-port', '0'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    let buffered = '';
    const collect = (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const l of parts) {
        raw.push(l);
        try {
          lines.push(JSON.parse(l) as LogLine);
        } catch {
          lines.push({ level: 0, msg: l });
        }
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
  });

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const redis = createRedis(config, { keyPrefix: '' });
    const keys = await redis.keys(`${config.redis.keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('serves /healthz and /readyz per service, and stops once on SIGTERM with exit code 0 and no error logged', async () => {
    const started = eventually(() => {
      const found = SERVICES.map((s) => lines.find((l) => l.msg === `${s} started`)?.healthPort);
      return found.every((p) => typeof p === 'number') ? (found as number[]) : undefined;
    }, 90_000, 'the three services to start');
    const exitedEarly = exit.then(({ code }) => {
      throw new Error(`warden run all exited with code ${code} before it started:\n${raw.join('\n')}`);
    });
    const ports = await Promise.race([started, exitedEarly]);
    expect(new Set(ports).size).toBe(3);

    for (const port of ports) {
      const live = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(live.status).toBe(200);
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 30_000, `readyz on ${port}`);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^# HELP warden_/m);
    }

    child.kill('SIGTERM');
    const { code, signal } = await exit;
    expect({ code, signal }, raw.join('\n')).toEqual({ code: 0, signal: null });
    for (const s of SERVICES) expect(lines.some((l) => l.msg === `${s} stopped`), raw.join('\n')).toBe(true);
    // Exactly one shutdown, and nothing at error (50) or fatal (60).
    expect(lines.filter((l) => / stopping$/.test(l.msg))).toHaveLength(1);
    expect(lines.filter((l) => l.level >= 50), raw.join('\n')).toEqual([]);
  }, 150_000);
});
