import { describe, expect, it } from 'vitest';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, event, merge, only, renumber, run, stream, ungroupedEngine } from './helpers.js';

function burst(agentId: string, at: number, n: number, action = 'tool.call', role = 'support') {
  return Array.from({ length: n }, (_, i) => event({ agentId, agentRole: role, timestamp: at + Math.floor((i * BUCKET_MS) / (n + 1)), action, resource: 'search_kb' }));
}

describe('rate-spike', () => {
  it('warm-up: a burst in the first hours of a lone agent raises no rate alert', () => {
    const events = renumber(merge(stream({ to: T0 + 6 * HOUR_MS, perBucket: 10 }), burst('agent-1', T0 + 3 * HOUR_MS, 100)));
    expect(only(run(events).alerts, 'rate-spike')).toEqual([]);
  });

  it('a 10x spike after warm-up alerts within the bucket it happens in', () => {
    const spikeAt = T0 + 2 * DAY_MS + 12 * HOUR_MS;
    const events = renumber(merge(stream({ to: T0 + 2 * DAY_MS + 13 * HOUR_MS, perBucket: 10 }), burst('agent-1', spikeAt, 90)));
    // The agent-level rule's own alert and evidence (grouped, the per-action finding may carry the incident).
    const { alerts, at } = run(events, ungroupedEngine());
    const rate = only(alerts, 'rate-spike.agent');
    expect(rate.length).toBeGreaterThan(0);
    const first = alerts.indexOf(rate[0]!);
    expect(Math.floor(at[first]! / BUCKET_MS)).toBe(Math.floor(spikeAt / BUCKET_MS));
    const a = rate[0]!;
    expect(a.evidence.baselineSource).toBe('agent');
    expect(a.evidence.baselineMedian).toBeGreaterThan(5);
    expect(a.evidence.observed).toBeGreaterThan(3 * a.evidence.baselineMedian!);
    expect(a.evidence.relatedEventIds.length).toBe(10);
    // Nothing before the spike.
    expect(at[first]).toBeGreaterThanOrEqual(spikeAt);
  });

  it('a new agent is compared with its role (peer baseline) while it warms up', () => {
    const peers = Array.from({ length: 8 }, (_, i) => stream({ agentId: `peer-${i}`, to: T0 + 3 * DAY_MS + 12 * 3_600_000, perBucket: 10, seed: 10 + i }));
    const joinAt = T0 + 3 * DAY_MS;
    const newcomer = stream({ agentId: 'newbie', from: joinAt, to: T0 + 3 * DAY_MS + 12 * 3_600_000, perBucket: 10, seed: 99 });
    const spikeAt = joinAt + 4 * HOUR_MS;
    const events = renumber(merge(...peers, newcomer, burst('newbie', spikeAt, 120)));
    const { alerts } = run(events);
    const mine = only(alerts, 'rate-spike.agent').filter((a) => a.agentId === 'newbie');
    expect(mine.length).toBe(1);
    expect(mine[0]!.evidence.baselineSource).toBe('peer');
    expect(only(alerts, 'rate-spike').filter((a) => a.agentId.startsWith('peer-'))).toEqual([]);
  });

  it('a new agent busier than its role is judged on the role profile at its own scale: no alert for its level, one for a spike', () => {
    const peers = Array.from({ length: 8 }, (_, i) => stream({ agentId: `peer-${i}`, to: T0 + 3 * DAY_MS + 12 * HOUR_MS, perBucket: 10, seed: 10 + i }));
    const joinAt = T0 + 3 * DAY_MS;
    // Three times the role's level, all day: ordinary for this agent, far above its peers.
    const busy = stream({ agentId: 'busy', from: joinAt, to: T0 + 3 * DAY_MS + 12 * HOUR_MS, perBucket: 30, seed: 77 });
    const quiet = renumber(merge(...peers, busy));
    // Its first quarter hour has nothing of its own to scale by (a role-level judgment); after that, nothing.
    const later = only(run(quiet).alerts, 'rate-spike').filter((a) => a.agentId === 'busy' && a.evidence.windowStart >= joinAt + 3 * BUCKET_MS);
    expect(later).toEqual([]);
    // Ten times its own level in one bucket still alerts against the scaled role profile.
    const spikeAt = joinAt + 8 * HOUR_MS;
    const spiked = renumber(merge(...peers, busy, burst('busy', spikeAt, 300)));
    const mine = only(run(spiked).alerts, 'rate-spike.agent').filter((a) => a.agentId === 'busy' && a.evidence.windowStart >= joinAt + 3 * BUCKET_MS);
    expect(mine.length).toBe(1);
    expect(mine[0]!.evidence.baselineSource).toBe('peer');
    expect(mine[0]!.evidence.baselineMean).toBeGreaterThan(20);
  });

  it('a new agent quieter than its role: a spike its busier peers would make look ordinary still alerts', () => {
    const peers = Array.from({ length: 8 }, (_, i) => stream({ agentId: `peer-${i}`, to: T0 + 3 * DAY_MS + 12 * HOUR_MS, perBucket: 10, seed: 10 + i }));
    const joinAt = T0 + 3 * DAY_MS;
    const quiet = stream({ agentId: 'quiet', from: joinAt, to: T0 + 3 * DAY_MS + 12 * HOUR_MS, perBucket: 3, seed: 78 });
    // ~28 in one bucket: 9x its own level, under what the role's unscaled profile (10 per bucket, z 6) allows.
    const spikeAt = joinAt + 6 * HOUR_MS;
    const mine = only(run(renumber(merge(...peers, quiet, burst('quiet', spikeAt, 25)))).alerts, 'rate-spike.agent').filter((a) => a.agentId === 'quiet');
    expect(mine.length).toBe(1);
    expect(mine[0]!.evidence.windowStart).toBe(Math.floor(spikeAt / BUCKET_MS) * BUCKET_MS);
  });

  it('a new agent on the fleet\'s first weekend is judged on the same hours of the role\'s weekdays', () => {
    // Monday to Friday of history; on Saturday the role's weekend profile has too few agent-buckets to answer.
    const saturday = T0 + 5 * DAY_MS;
    const peers = Array.from({ length: 8 }, (_, i) => stream({ agentId: `peer-${i}`, to: saturday + 12 * HOUR_MS, perBucket: 10, seed: 10 + i }));
    const newcomer = stream({ agentId: 'newbie', from: saturday, to: saturday + 12 * HOUR_MS, perBucket: 10, seed: 99 });
    const spikeAt = saturday + 6 * HOUR_MS;
    const mine = only(run(renumber(merge(...peers, newcomer, burst('newbie', spikeAt, 120)))).alerts, 'rate-spike.agent').filter((a) => a.agentId === 'newbie');
    expect(mine.length).toBe(1);
    expect(mine[0]!.evidence.baselineSource).toBe('peer');
  });
});
