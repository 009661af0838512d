/**
 * One stdio MCP connection through the gateway, relayed line by line, not re-spoken through a pair of SDK
 * transports: each line from the agent (its stdin) and from the server (its stdout) is parsed once, its
 * messages go through the CallInspector, and the line goes on as the bytes that came in when the inspector
 * changed nothing (re-serialised only when a batch lost a refused request or a tools/list answer was
 * filtered). The SDK's transports validated every message with zod on both of their sides, twice per
 * direction: most of the ~480 µs of gateway CPU per call measured with bench/mcp-latency.ts --only stdio.
 *   - A line from the agent that is not a JSON-RPC message or batch is answered -32700 and never forwarded:
 *     the server gets nothing the gateway did not inspect. The server still validates what it gets.
 *   - In a batch, refused requests are answered by the gateway (as a batch) and the rest go to the server.
 *   - A line from the server the gateway cannot read is not passed on (the agent's SDK would drop it too).
 *   - Backpressure: while a destination's buffer is full, the side that feeds it is not read.
 * What ends the connection (the agent's EOF, the server's exit) is the process's business (stdio.ts).
 */
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../../shared/logging/index.js';
import type { CallInspector } from './inspector.js';
import { LineSplitter } from './lines.js';
import { inspectFromServer, parseError, parseMessages, splitFromAgent } from './messages.js';

export interface StdioRelayOptions {
  inspector: CallInspector;
  logger: Logger;
  /** The agent's side: what it writes (the gateway's stdin) and what it reads (the gateway's stdout). */
  agentIn: Readable;
  agentOut: Writable;
  /** The server's side: its stdin and its stdout. */
  serverIn: Writable;
  serverOut: Readable;
}

/** What one chunk's lines send on, gathered so each destination gets one write per chunk. */
interface Outbox { toAgent: Buffer[]; toServer: Buffer[] }

/** How much of a line the server sent that the gateway could not read goes into the log. */
const LOGGED_LINE_CHARS = 200;

export class StdioRelay {
  /** Per reader, the destinations whose buffers are full; it is read again when all have drained. */
  readonly #blocked = new Map<Readable, Set<Writable>>();

  constructor(private readonly o: StdioRelayOptions) {}

  start(): void {
    this.#read(this.o.agentIn, 'agent', (line, out) => this.#fromAgent(line, out));
    this.#read(this.o.serverOut, 'server', (line, out) => this.#fromServer(line, out));
    // A peer gone (EPIPE) is not a crash: the process's lifecycle (stdio.ts) ends the connection.
    this.o.agentOut.on('error', (err: Error) => this.o.logger.debug({ err: err.message }, 'the agent stopped reading'));
    this.o.serverIn.on('error', (err: Error) => this.o.logger.debug({ err: err.message }, 'the MCP server stopped reading'));
  }

  #read(from: Readable, side: 'agent' | 'server', handle: (line: Buffer, out: Outbox) => void): void {
    const lines = new LineSplitter();
    from.on('data', (chunk: Buffer | string) => {
      const out: Outbox = { toAgent: [], toServer: [] };
      for (const line of lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) handle(line, out);
      this.#write(from, this.o.serverIn, out.toServer);
      this.#write(from, this.o.agentOut, out.toAgent);
    });
    from.once('end', () => {
      const cut = lines.pendingBytes();
      if (cut > 0) this.o.logger.warn({ side, bytes: cut }, 'input ended inside a line: not a message, not forwarded');
    });
    from.on('error', (err: Error) => this.o.logger.warn({ side, err: err.message }, 'MCP stdio read failed'));
  }

  #fromAgent(line: Buffer, out: Outbox): void {
    const text = line.toString('utf8');
    if (isBlank(text)) return;
    const parsed = parseMessages(text);
    if (!parsed) {
      out.toAgent.push(jsonLine(parseError('the line')));
      return;
    }
    const { refusals, forward } = splitFromAgent(this.o.inspector, parsed.messages, line.length);
    // A single message is either refused or forwarded whole, so only a batch is ever re-serialised.
    if (forward.length > 0) out.toServer.push(refusals.length === 0 ? line : jsonLine(forward));
    if (refusals.length > 0) out.toAgent.push(jsonLine(parsed.batch ? refusals : refusals[0]));
  }

  #fromServer(line: Buffer, out: Outbox): void {
    const text = line.toString('utf8');
    if (isBlank(text)) return;
    const parsed = parseMessages(text);
    if (!parsed) {
      this.o.logger.warn({ line: text.slice(0, LOGGED_LINE_CHARS) }, 'the MCP server wrote a line that is not a JSON-RPC message: not passed on');
      return;
    }
    const [changed, message] = inspectFromServer(this.o.inspector, parsed.batch ? parsed.messages : parsed.messages[0], line.length);
    out.toAgent.push(changed ? jsonLine(message) : line);
  }

  #write(reader: Readable, to: Writable, lines: Buffer[]): void {
    // After the end (the agent's EOF closed the server's stdin, or a peer is gone) nothing can be delivered.
    if (lines.length === 0 || to.writableEnded || to.destroyed) return;
    if (to.write(lines.length === 1 ? lines[0] : Buffer.concat(lines))) return;
    let blocked = this.#blocked.get(reader);
    if (!blocked) this.#blocked.set(reader, (blocked = new Set()));
    if (blocked.has(to)) return;
    blocked.add(to);
    reader.pause();
    // A destination that closes instead of draining must not keep its reader paused: that would hide its EOF.
    const unblock = () => {
      to.off('drain', unblock).off('close', unblock);
      blocked.delete(to);
      if (blocked.size === 0) reader.resume();
    };
    to.on('drain', unblock).on('close', unblock);
  }
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

function jsonLine(v: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(v)}\n`);
}
