/** The detector's per-partition bookkeeping: a drop forgets one partition (and counts its unsaved progress), agents go with their partition. */
import { describe, expect, it } from 'vitest';
import { AgentCache } from '../../../services/detector/agentCache.js';
import { PartitionLedger } from '../../../services/detector/partitionLedger.js';

describe('PartitionLedger', () => {
  it('counts the processed records a drop loses, bumps only that partition\'s epoch, keeps the others', () => {
    let now = 1000;
    const l = new PartitionLedger(() => now);
    l.resume(1, 9n);
    l.resume(2, -1n);
    l.advance('t', 1, '30', ['a']);
    l.advance('t', 2, '4', ['b']);
    l.checkpointed(1, '20'); // 21..30 would be lost
    l.advance('t', 1, '40', ['a']);
    now = 5000;
    expect(l.due(4000)).toEqual([1, 2]);
    expect(l.pendingSince(1)).toBe(1000);
    expect(l.drop(1)).toBe(20); // 21..40
    expect(l.epochOf(1)).toBe(1);
    expect(l.epochOf(2)).toBe(0);
    expect(l.processed(1)).toBeUndefined();
    expect(l.processed(2)).toBe(4n);
    expect(l.drop(2)).toBe(5); // 0..4, nothing checkpointed
  });

  it('a checkpoint clears the pending agents and restarts the age', () => {
    let now = 0;
    const l = new PartitionLedger(() => now);
    l.resume(0, -1n);
    l.advance('t', 0, '10', ['a', 'b']);
    now = 700;
    l.checkpointed(0, '10');
    expect(l.pending(0)).toMatchObject({ lastOffset: null, checkpointedAt: 700 });
    expect(l.pending(0)!.agents.size).toBe(0);
    expect(l.pendingSince(0)).toBeNull();
    expect(l.drop(0)).toBe(0);
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
