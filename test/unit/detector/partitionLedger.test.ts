/** The detector's per-partition bookkeeping: a drop forgets one partition (and counts its unsaved progress), agents go with their partition. */
import { describe, expect, it } from 'vitest';
import { AgentCache } from '../../../services/detector/agentCache.js';
import { CheckpointCapture } from '../../../services/detector/checkpointCapture.js';
import { PartitionLedger } from '../../../services/detector/partitionLedger.js';

const encodeNothing = () => undefined;

describe('PartitionLedger', () => {
  it('counts the processed records a drop loses, bumps only that partition\'s epoch, keeps the others', () => {
    let now = 1000;
    const l = new PartitionLedger(() => now);
    l.resume(1, 9n);
    l.resume(2, -1n);
    l.advance('t', 1, '30', ['a']);
    l.advance('t', 2, '4', ['b']);
    l.checkpointed(1, l.begin(1, encodeNothing)!); // 10..30 are in Redis; 31..40 would be lost
    l.advance('t', 1, '40', ['a']);
    now = 5000;
    expect(l.due(Infinity)).toEqual([1, 2]);
    expect(l.pendingSince(1)).toBe(1000);
    expect(l.drop(1)).toBe(10); // 31..40
    expect(l.epochOf(1)).toBe(1);
    expect(l.epochOf(2)).toBe(0);
    expect(l.processed(1)).toBeUndefined();
    expect(l.processed(2)).toBe(4n);
    expect(l.drop(2)).toBe(5); // 0..4, nothing checkpointed
  });

  it('a checkpoint in flight takes the pending agents; later batches gather apart and stay pending after it is written', () => {
    let now = 0;
    const l = new PartitionLedger(() => now, 1000);
    l.resume(0, -1n);
    l.advance('t', 0, '10', ['a', 'b']);
    const capture = l.begin(0, encodeNothing)!;
    expect(capture).toMatchObject({ lastOffset: '10', since: 0 });
    expect([...capture.agents]).toEqual(['a', 'b']);
    expect(l.begin(0, encodeNothing)).toBeNull(); // one in flight at a time
    now = 300;
    l.advance('t', 0, '15', ['c']);
    expect(l.isDue(0, Infinity)).toBe(false); // in flight
    expect(l.pendingSince(0)).toBe(0); // the oldest unsaved progress is the capture's
    expect(l.unsaved('a', 0) && l.unsaved('c', 0)).toBe(true);
    now = 700;
    l.checkpointed(0, capture);
    expect(l.drop(0)).toBe(5); // 11..15 were still pending
  });

  it('a failed checkpoint goes back into pending, due at once, with its agents and the oldest age', () => {
    let now = 0;
    const l = new PartitionLedger(() => now, 1000);
    l.resume(0, -1n);
    l.advance('t', 0, '10', ['a']);
    const capture = l.begin(0, encodeNothing)!;
    now = 400;
    l.advance('t', 0, '12', ['b']);
    l.abort(0, capture);
    expect(l.isDue(0)).toBe(true);
    expect(l.pending(0)).toMatchObject({ lastOffset: '12', checkpointedAt: 0 });
    expect([...l.pending(0)!.agents].sort()).toEqual(['a', 'b']);
    expect(l.pendingSince(0)).toBe(0);
  });

  it('spreads first checkpoints between one and two intervals, then one interval after each capture', () => {
    const now = 10_000;
    const l = new PartitionLedger(() => now, 30_000);
    for (let p = 0; p < 12; p++) l.advance('t', p, '1', ['a']);
    const firstDue = Array.from({ length: 12 }, (_, p) => l.pending(p)!.dueAt - now);
    expect(Math.min(...firstDue)).toBe(30_000); // never sooner than the interval
    expect(Math.max(...firstDue)).toBeLessThan(60_000);
    // No two partitions within a twentieth of the interval of each other.
    const sorted = [...firstDue].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThan(1_000);
    l.begin(0, encodeNothing);
    expect(l.pending(0)!.dueAt).toBe(now + 30_000);
  });
});

describe('CheckpointCapture', () => {
  it('encodes each agent as it stands when its slice runs, nothing before: a later batch\'s change is in the state', () => {
    const state = new Map([['a', 1], ['b', 1], ['c', 1]]);
    let processed = 5;
    const capture = new CheckpointCapture({ topic: 't', lastOffset: '5', agents: new Set(state.keys()), since: 0 }, (agentId) => `${state.get(agentId)}@${processed}`);
    expect(capture.encodeFor(Infinity)).toBe(true);
    expect(Object.fromEntries(capture.states)).toEqual({ a: '1@5', b: '1@5', c: '1@5' });
    const later = new CheckpointCapture({ topic: 't', lastOffset: '5', agents: new Set(state.keys()), since: 0 }, (agentId) => (agentId === 'c' ? undefined : `${state.get(agentId)}@${processed}`));
    expect(later.encodeFor(0)).toBe(false); // a zero budget still encodes one agent per slice
    expect(later.states.size).toBe(1);
    // A batch between two slices changes b: b is written with it, at the batch's offset; c is gone from the engine.
    state.set('b', 2);
    processed = 9;
    while (!later.encodeFor(0));
    expect(Object.fromEntries(later.states)).toEqual({ a: '1@5', b: '2@9' });
    expect(later.lastOffset).toBe('5'); // the partition's covered offset stays the capture's
  });
});

describe('PartitionLedger: agents loaded ahead of their partition', () => {
  it('skips an agent\'s records up to its own covered offset, only while the partition is behind it', () => {
    const l = new PartitionLedger(() => 0);
    l.resume(3, 100n);
    l.loaded(3, 'ahead', 140n);
    l.loaded(3, 'behind', 90n); // written at an earlier checkpoint: nothing of it is after the covered offset
    l.loaded(3, 'untagged', null);
    expect(l.aheadOf(3, 'ahead', 101n)).toBe(true);
    expect(l.aheadOf(3, 'ahead', 140n)).toBe(true);
    expect(l.aheadOf(3, 'ahead', 141n)).toBe(false);
    expect(l.aheadOf(3, 'behind', 101n) || l.aheadOf(3, 'untagged', 101n)).toBe(false);
    expect(l.aheadOf(4, 'ahead', 101n)).toBe(false); // another partition's agent of that name
    l.advance('t', 3, '120', []);
    expect(l.aheadOf(3, 'ahead', 130n)).toBe(true);
    l.advance('t', 3, '140', []);
    expect(l.aheadOf(3, 'ahead', 140n)).toBe(false); // processed past it: forgotten
    l.loaded(3, 'again', 200n);
    l.drop(3);
    l.resume(3, 150n);
    expect(l.aheadOf(3, 'again', 160n)).toBe(false); // a drop forgets it: it is loaded again
  });
});

describe('AgentCache', () => {
  it('evicts the agents of dropped partitions only, and never an agent that must stay', () => {
    const evicted: string[] = [];
    const c = new AgentCache((a) => evicted.push(a));
    c.touch(1, ['a', 'b']);
    c.touch(2, ['c']);
    c.touch(2, ['a']); // an agent keeps the partition it came from
    expect(c.ownerOf('a')).toBe(1);
    c.dropPartitions(new Set([1]));
    expect(evicted.sort()).toEqual(['a', 'b']);
    c.touch(3, ['d', 'e']);
    c.trim(1, (agentId) => agentId === 'c'); // c is pending: kept; d (least recent after c) goes
    expect(evicted).toContain('d');
    expect(c.has('c')).toBe(true);
  });
});
