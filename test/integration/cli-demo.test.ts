/**
 * The demo as a newcomer reads it (issue 15 items 3, 8, 9), on the running
 * stack with a small fleet: events sent and planned add up with the refused
 * actions and the output says so; the closing hint points at something that
 * still exists after the demo; the table fits 120 columns; no Redis key of
 * the run is left behind. Soft assertions: one run shows every item that fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MCP_AGENT_ID, MCP_STORY } from '../../cli/demo/mcpAgent.js';
import { runDemo } from '../../cli/demo/run.js';
import { loadConfig } from '../../shared/config/index.js';
import { createRedis } from '../../shared/redis/index.js';

describe('warden demo', () => {
  it('explains sent vs planned, leaves a hint that works, fits 120 columns, and cleans its Redis keys', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const r = await runDemo({ agents: 12, durationMs: 10_000, seed: 7, config: loadConfig(), out: out as unknown as NodeJS.WriteStream });

    // Item 8: the numbers add up and the output explains the difference.
    expect.soft(r.refused).toBeGreaterThan(0);
    expect.soft(r.events + r.refused).toBe(r.planned);
    // Tolerates a missing field, so a run against an older demo reports every item instead of stopping at the first.
    const n = (v: number | undefined) => (v ?? Number.NaN).toLocaleString('en-US');
    expect.soft(text).toContain(`${n(r.planned)} events planned`);
    expect.soft(text).toContain(`${n(r.events)} events sent of ${n(r.planned)} planned: the other ${n(r.refused)} were actions the isolated agents' kill switch refused`);

    // Item 3: no hint at the deleted topic; the files it names exist after the demo and hold the alerts.
    expect.soft(text).not.toMatch(/--from-beginning` with WARDEN_TOPIC_ALERTS/);
    const file = /kept in (\S+\.alerts\.jsonl)/.exec(text)?.[1];
    expect.soft(file, text).toBeDefined();
    if (file) {
      expect.soft(existsSync(file)).toBe(true);
      expect.soft(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(r.alerts);
    }

    // Item 8: the closing table fits 120 columns.
    const table = text.slice(text.indexOf('\nincident'), text.indexOf(' events sent of '));
    expect.soft(table.length).toBeGreaterThan(0);
    for (const line of table.split('\n')) expect.soft(line.length, line).toBeLessThanOrEqual(120);

    // Issue 13: the MCP agent behind the gateway is detected, isolated, and its calls are refused at the gateway.
    const mcp = r.rows.find((row) => row.agentId === MCP_AGENT_ID);
    expect.soft(mcp, 'the MCP agent row').toBeDefined();
    expect.soft(mcp?.detected).toBe(true);
    expect.soft(mcp?.alert).toMatch(/injection\.marker/);
    expect.soft(mcp?.response).toMatch(/^THROTTLE .*email\.send/);
    expect.soft(Number(/refused at gateway: (\d+) calls/.exec(mcp?.stopped ?? '')?.[1] ?? 0)).toBeGreaterThan(0);
    expect.soft(text).toContain(MCP_STORY.slice(0, 20));

    // Item 9: nothing of this run in Redis (its keys all carry the run id).
    const runId = /Topics for this run: [^,\s]+?\.(demo-7-[a-z0-9]+)/.exec(text)?.[1];
    expect.soft(runId, text).toBeDefined();
    const redis = createRedis(loadConfig(), { keyPrefix: '' });
    try {
      expect.soft(await redis.keys(`*${runId}*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
  }, 240_000);
});
