/**
 * An in-process MCP server for the gateway's relay unit tests (stdio and HTTP): the SDK's McpServer with
 * three tools whose names exercise the tool-action mapping. Every call it receives goes to onCall, so a test can assert on the
 * server's side that a refused call never arrived. The integration tests and the benchmark use a real server
 * from npm instead (test/support/mcpFilesystem.ts).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
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

