import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../services/mcp-gateway/lines.js';

describe('LineSplitter (MCP stdio framing)', () => {
  it('cuts at each newline across chunk boundaries, keeping every line\'s bytes and its newline', () => {
    const s = new LineSplitter();
    const text = (bs: Buffer[]) => bs.map((b) => b.toString('utf8'));
    expect(text(s.push(Buffer.from('{"a":1}\n{"b":')))).toEqual(['{"a":1}\n']);
    expect(s.pendingBytes()).toBe(5);
    expect(text(s.push(Buffer.from('2')))).toEqual([]);
    expect(text(s.push(Buffer.from('}\r\n\n{"c":3}')))).toEqual(['{"b":2}\r\n', '\n']);
    expect(s.pendingBytes()).toBe(7);
  });

  it('a line inside one chunk is a view of it, not a copy', () => {
    const chunk = Buffer.from('{"a":1}\n{"b":2}\n');
    const [first, second] = new LineSplitter().push(chunk);
    expect(first!.buffer).toBe(chunk.buffer);
    expect(second!.byteOffset - chunk.byteOffset).toBe(8);
  });

  it('keeps a UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('{"t":"é"}\n');
    const s = new LineSplitter();
    expect(s.push(bytes.subarray(0, 7))).toEqual([]);
    expect(s.push(bytes.subarray(7)).map((b) => b.toString('utf8'))).toEqual(['{"t":"é"}\n']);
  });
});
