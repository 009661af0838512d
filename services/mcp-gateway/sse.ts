/**
 * Server-Sent Events, as the gateway relays them from the MCP server to the agent: a stream is cut into
 * events (blocks ending in a blank line; CRLF, LF or CR line ends), each with its data lines joined.
 * An event keeps its text, so one the gateway does not change is passed on byte for byte (ids, comments,
 * retry and all); a changed one is written again with its id and event type.
 */
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The event as received, LF line ends, ending in its blank line. */
  raw: string;
  /** The data lines joined with LF; null for a block with no data (a comment, a retry). */
  data: string | null;
  id: string | null;
  event: string | null;
}

export class SseParser {
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';

  /** The events the chunk completes. */
  push(chunk: Buffer): SseEvent[] {
    this.#buffer += this.#decoder.write(chunk);
    // A CR at the end may be the first half of a CRLF: normalise it with the next chunk.
    const cut = this.#buffer.endsWith('\r') ? this.#buffer.length - 1 : this.#buffer.length;
    const text = this.#buffer.slice(0, cut).replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let start = 0;
    for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n', start)) {
      events.push(parseBlock(text.slice(start, end + 2)));
      start = end + 2;
    }
    this.#buffer = text.slice(start) + this.#buffer.slice(cut);
    return events;
  }

  /** What is left unterminated when the stream ends (an event the server never finished is not an event). */
  rest(): string {
    return this.#buffer + this.#decoder.end();
  }
}

function parseBlock(raw: string): SseEvent {
  let data: string[] | null = null;
  let id: string | null = null;
  let event: string | null = null;
  for (const line of raw.slice(0, -2).split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') (data ??= []).push(value);
    else if (field === 'id') id = value;
    else if (field === 'event') event = value;
  }
  return { raw, data: data === null ? null : data.join('\n'), id, event };
}

/** An event carrying one JSON-RPC message, written again after the gateway changed the message. */
export function sseEvent(message: unknown, id: string | null = null, event: string | null = null): string {
  return `${event !== null ? `event: ${event}\n` : ''}${id !== null ? `id: ${id}\n` : ''}data: ${JSON.stringify(message)}\n\n`;
}
