import { describe, expect, it } from 'vitest';
import { SseParser, sseEvent } from '../../../services/mcp-gateway/sse.js';

const feed = (chunks: (string | Buffer)[]) => {
  const p = new SseParser();
  return { events: chunks.flatMap((c) => p.push(Buffer.isBuffer(c) ? c : Buffer.from(c))), rest: p.rest() };
};

describe('SSE parser (what the gateway relays from the server)', () => {
  it('cuts events at blank lines whatever the line ends, across chunk boundaries, and joins data lines', () => {
    const { events, rest } = feed(['event: message\r\nid: 1\r\ndata: {"a":', '1}\r', '\n\r\n', 'data: x\ndata: y\n\n: keepalive\n\ndata: z\r\rdata: partial']);
    expect(events.map((e) => [e.event, e.id, e.data])).toEqual([['message', '1', '{"a":1}'], [null, null, 'x\ny'], [null, null, null], [null, null, 'z']]);
    expect(events[2]!.raw).toBe(': keepalive\n\n');
    expect(rest).toBe('data: partial');
  });

  it('keeps a UTF-8 character split between chunks, and gives the raw text back for an unchanged event', () => {
    const bytes = Buffer.from('data: {"t":"é"}\n\n');
    const { events } = feed([bytes.subarray(0, 12), bytes.subarray(12)]);
    expect(events[0]!.data).toBe('{"t":"é"}');
    expect(events[0]!.raw).toBe('data: {"t":"é"}\n\n');
  });

  it('writes a changed message as one event with its id and type', () => {
    expect(sseEvent({ id: 1 }, '7', 'message')).toBe('event: message\nid: 7\ndata: {"id":1}\n\n');
    expect(feed([sseEvent({ a: [1] }, '3', 'message')]).events[0]).toMatchObject({ id: '3', event: 'message', data: '{"a":[1]}' });
  });
});
