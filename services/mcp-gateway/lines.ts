/**
 * MCP's stdio framing: one JSON-RPC message (or batch) per line, ended by '\n', no newline inside.
 * Lines come out as the bytes that came in (each with its '\n'), so a forwarded line is the agent's or
 * the server's own bytes; a line inside one chunk is a view of it, not a copy.
 */
const NEWLINE = 0x0a;

export class LineSplitter {
  /** The start of a line that has not ended yet, in the chunks it came in. */
  #partial: Buffer[] = [];

  /** The lines this chunk completes, in order. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const end = chunk.subarray(start, nl + 1);
      lines.push(this.#partial.length === 0 ? end : Buffer.concat([...this.#partial.splice(0), end]));
      start = nl + 1;
    }
    if (start < chunk.length) this.#partial.push(chunk.subarray(start));
    return lines;
  }

  /** Bytes received after the last newline (at end of input: a message cut off, which is not a line). */
  pendingBytes(): number {
    return this.#partial.reduce((n, b) => n + b.length, 0);
  }
}
