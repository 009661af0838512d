/**
 * The real MCP server from npm that the gateway's integration tests and benchmark run against:
 * @modelcontextprotocol/server-filesystem (a devDependency), serving one temporary folder.
 *
 * It speaks stdio only (its module connects a StdioServerTransport on import), so for Streamable HTTP this
 * file puts it behind the SDK's StreamableHTTPServerTransport: each HTTP session launches its own copy of the
 * server over stdio, and the two transports are joined message for message. The server does all the work;
 * the harness only changes the wire, the same way for a direct client and for the gateway.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/** The server's entry point, run with this Node (no npx lookup per launch). */
export const FILESYSTEM_SERVER_ENTRY = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

/** The command and arguments that launch the filesystem server on `dir` over stdio. */
export function filesystemServerCommand(dir: string): { command: string; args: string[] } {
  return { command: process.execPath, args: [FILESYSTEM_SERVER_ENTRY, dir] };
}

export interface FilesystemHttpServer {
  url: URL;
  /** HTTP sessions open now (one server process each). */
  sessions(): number;
  close(): Promise<void>;
}

interface Bridge { http: StreamableHTTPServerTransport; stdio: StdioClientTransport }

/** The filesystem server on `dir` over Streamable HTTP at http://127.0.0.1:<port>/mcp. */
export async function startFilesystemHttp(dir: string): Promise<FilesystemHttpServer> {
  const bridges = new Map<string, Bridge>();
  const open = new Set<Bridge>();

  const openBridge = async (): Promise<Bridge> => {
    const { command, args } = filesystemServerCommand(dir);
    const stdio = new StdioClientTransport({ command, args, stderr: 'ignore' });
    const http: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void bridges.set(id, bridge),
      onsessionclosed: (id) => void bridges.delete(id),
    });
    const bridge = { http, stdio };
    open.add(bridge);
    http.onmessage = (m) => void stdio.send(m).catch(() => undefined);
    stdio.onmessage = (m) => void http.send(m).catch(() => undefined);
    const closeBoth = () => {
      if (!open.delete(bridge)) return;
      if (http.sessionId) bridges.delete(http.sessionId);
      void Promise.allSettled([http.close(), stdio.close()]);
    };
    http.onclose = closeBoth;
    stdio.onclose = closeBoth;
    await stdio.start();
    await http.start();
    return bridge;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const b = bridges.get(sessionId);
      if (!b) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'session not found' }, id: null }));
        return;
      }
      await b.http.handleRequest(req, res);
      return;
    }
    const b = await openBridge();
    await b.http.handleRequest(req, res);
    if (!b.http.sessionId) await Promise.allSettled([b.http.close(), b.stdio.close()]);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(err.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`),
    sessions: () => bridges.size,
    close: async () => {
      await Promise.allSettled([...open].flatMap((b) => [b.http.close(), b.stdio.close()]));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
