/**
 * A real MCP server for the gateway tests: the SDK's McpServer with three tools. Every call it receives is
 * recorded (a JSON line in $MCP_FIXTURE_LOG when run over stdio, or the onCall callback in process), so a
 * test can assert on the server's side that a refused call never arrived.
 * Run directly, it serves stdio; createFixtureServer() is for Streamable HTTP in the test process.
 */
import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

export function createFixtureServer(onCall: (tool: string, args: unknown) => void): McpServer {
  const server = new McpServer({ name: 'warden-fixture', version: '1.0.0' });
  server.registerTool('get_weather', { description: 'Weather for a city', inputSchema: { city: z.string() } }, ({ city }) => {
    onCall('get_weather', { city });
    return { content: [{ type: 'text', text: `sunny in ${city}` }] };
  });
  server.registerTool('send_email', { description: 'Send an email', inputSchema: { to: z.string(), body: z.string() } }, ({ to, body }) => {
    onCall('send_email', { to, body });
    return { content: [{ type: 'text', text: `sent to ${to}` }] };
  });
  server.registerTool('fetch_url', { description: 'Fetch a URL', inputSchema: { url: z.string() } }, ({ url }) => {
    onCall('fetch_url', { url });
    if (url.includes('fail')) return { isError: true, content: [{ type: 'text', text: 'fetch failed' }] };
    return { content: [{ type: 'text', text: `fetched ${url}` }] };
  });
  return server;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const log = process.env.MCP_FIXTURE_LOG;
  const server = createFixtureServer((tool, args) => {
    if (log) appendFileSync(log, `${JSON.stringify({ tool, args })}\n`);
  });
  await server.connect(new StdioServerTransport());
}
