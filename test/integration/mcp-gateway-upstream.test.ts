/**
 * The gateway's upstream client (services/mcp-gateway/upstreamFetch.ts) against the real filesystem server
 * over Streamable HTTP: many calls on one SDK transport leave the transport's AbortSignal with a bounded
 * number of `abort` listeners (the global fetch left one per request until GC: MaxListenersExceededWarning
 * in the gateway past 1,500 calls), no MaxListenersExceededWarning is raised, and closing the transport
 * still aborts its open stream.
 */
import { getEventListeners } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createUpstreamFetch, type UpstreamFetch } from '../../services/mcp-gateway/upstreamFetch.js';
import { startFilesystemHttp, type FilesystemHttpServer } from '../support/mcpFilesystem.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-upstream-'));
writeFileSync(join(dir, 'a.txt'), 'hello');
let upstream: FilesystemHttpServer;
let client: UpstreamFetch;

beforeAll(async () => {
  upstream = await startFilesystemHttp(dir);
  client = createUpstreamFetch();
});
afterAll(async () => {
  client.close();
  await upstream.close();
});

describe('upstream fetch', () => {
  it('keeps the abort listeners on the transport signal bounded over many calls, without a warning', async () => {
    const signals = new Set<AbortSignal>();
    // Sees the signal the SDK transport passes with every request: the object that leaked.
    const watched: FetchLike = (url, init) => {
      if (init?.signal) signals.add(init.signal);
      return client.fetch(url, init);
    };
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void (w.name === 'MaxListenersExceededWarning' && warnings.push(w));
    process.on('warning', onWarning);
    const mcp = new Client({ name: 'upstream-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(upstream.url, { fetch: watched });
    try {
      await mcp.connect(transport);
      const calls = 300;
      for (let i = 0; i < calls; i++) {
        const r = await mcp.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'a.txt') } });
        expect(r.isError).toBeFalsy();
      }
      expect(signals.size).toBe(1);
      const [signal] = [...signals];
      // What stays open: the standalone GET stream, and the last exchange while its response closes.
      expect(getEventListeners(signal!, 'abort').length).toBeLessThanOrEqual(3);
      expect(client.openRequests()).toBeLessThanOrEqual(2);
      expect(warnings).toEqual([]);

      await mcp.close();
      // Closing the transport aborts its open stream, and that releases its listener too.
      const deadline = Date.now() + 5_000;
      while (client.openRequests() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(client.openRequests()).toBe(0);
      expect(getEventListeners(signal!, 'abort').length).toBe(0);
    } finally {
      process.off('warning', onWarning);
      await mcp.close().catch(() => undefined);
    }
  }, 60_000);
});
