import { describe, expect, it } from 'vitest';
import { pace, type PaceProgress } from '../../../cli/simulate/pace.js';
import type { OutgoingEvent } from '../../../cli/simulate/publisher.js';
import type { DetectionEvent } from '../../../shared/detection/index.js';

const base: Omit<DetectionEvent, 'eventId' | 'timestamp' | 'seq' | 'action' | 'verification'> = {
  agentId: 'a', agentRole: 'support', tenantId: 't', sessionId: null, principal: null, resource: null, target: null, outcome: 'SUCCESS',
  bytesIn: 0, bytesOut: 0, records: 0, tokens: 0, amount: null, currency: null, text: null, attributes: {},
};

describe('pace (compressed-time playback)', () => {
  const start = 1_700_000_000_000;
  const events: DetectionEvent[] = Array.from({ length: 300 }, (_, i) => ({
    ...base, eventId: `e${i}`, seq: i + 1, timestamp: start + i * 60_000, action: i % 10 === 0 ? 'payment.transfer' : 'data.read', verification: i === 7 ? 'invalid' : 'valid',
  }));
  const arrivals = Float64Array.from(events, (e) => e.timestamp);

  it('sends every admitted event once, in arrival order, withholding what the agent refused, and ends at 100%', async () => {
    const sent: OutgoingEvent[] = [];
    const ticks: PaceProgress[] = [];
    const r = await pace({ events, arrivals, startTs: start, endTs: start + 300 * 60_000 }, {
      durationMs: 150, tickMs: 10,
      send: async (batch) => void sent.push(...batch),
      admit: (e) => e.action !== 'payment.transfer', // a throttled agent: its payments never happen
      onTick: (p) => ticks.push(p),
    });
    expect(r).toEqual({ published: 270, withheld: 30 });
    expect(sent.map((o) => o.event.eventId)).toEqual(events.filter((e) => e.action !== 'payment.transfer').map((e) => e.eventId));
    // The forged event keeps its forgery (the publisher must not sign it); the verdict field does not go on the wire.
    expect(sent.find((o) => o.event.eventId === 'e7')?.forge).toBe('invalid');
    expect(sent.every((o) => !('verification' in o.event))).toBe(true);
    expect(ticks.at(-1)).toMatchObject({ fraction: 1, published: 270 });
    expect(ticks.map((t) => t.fraction)).toEqual([...ticks.map((t) => t.fraction)].sort((a, b) => a - b));
  });

  it('shows lag, not 100%, while a slow sink holds events back', async () => {
    const ticks: PaceProgress[] = [];
    let calls = 0;
    await pace({ events, arrivals, startTs: start, endTs: start + 300 * 60_000 }, {
      durationMs: 1, tickMs: 0, maxBatch: 50,
      send: async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 5));
      },
      onTick: (p) => ticks.push(p),
    });
    expect(calls).toBeGreaterThanOrEqual(6); // batches of at most 50
    // After the first batch of 50 the wall clock says "done", but only a sixth has left.
    expect(ticks[0]!.fraction).toBeLessThan(0.2);
    expect(ticks.at(-1)!.fraction).toBe(1);
  });
});
