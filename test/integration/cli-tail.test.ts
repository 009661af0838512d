/**
 * `warden tail` as a newcomer meets it (issue 15 item 4): with Kafka down it
 * says in one line what is wrong and how to start the stack (no kafkajs JSON
 * log lines); with Kafka up and nothing arriving it says that it is waiting.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eventually, isolatedConfig, provisionTopics } from '../support/stack.js';

function tail(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['cli/bin/warden.mjs', 'tail', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exit };
}

describe('warden tail', () => {
  it('with Kafka down: one line naming the broker and `warden stack up`, exit 1, no raw kafkajs log lines', async () => {
    // Port 1 on the loopback: nothing listens there.
    const t = tail(['alerts'], { WARDEN_KAFKA_BROKERS: '127.0.0.1:1' });
    const code = await t.exit;
    expect(code).toBe(1);
    const lines = t.out.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, t.out.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^warden: cannot reach Kafka at 127\.0\.0\.1:1 .*warden stack up/);
    expect(t.out.stderr).not.toMatch(/"level"|\{"/);
    expect(t.out.stdout).toBe('');
  }, 60_000);

  it('with Kafka up and no records: says it is waiting, and stops on SIGTERM with exit 0', async () => {
    const config = isolatedConfig('cli-tail');
    await provisionTopics(config);
    const t = tail(['alerts'], { WARDEN_TOPIC_ALERTS: config.topics.alerts.name });
    await eventually(() => t.out.stderr.includes(`waiting for records on ${config.topics.alerts.name}`), 30_000, `the waiting line (stderr so far: ${t.out.stderr})`);
    t.child.kill('SIGTERM');
    expect(await t.exit).toBe(0);
    expect(t.out.stdout).toBe('');
  }, 60_000);
});
