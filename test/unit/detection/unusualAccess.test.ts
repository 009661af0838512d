import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, T0, event, merge, only, renumber, run, stream } from './helpers.js';

describe('unusual-access', () => {
  it('a first-seen sensitive resource after the learning period alerts; one during it does not', () => {
    const base = stream({ to: T0 + 2 * DAY_MS, perBucket: 5 });
    const during = event({ timestamp: T0 + 2 * HOUR_MS, action: 'data.read', resource: 'hr/salaries/2024' });
    const after = event({ timestamp: T0 + DAY_MS + 6 * HOUR_MS, action: 'data.read', resource: 'secrets/prod/db-password' });
    const { alerts } = run(renumber(merge(base, [during, after])));
    const access = only(alerts, 'unusual-access.resource');
    expect(access.length).toBe(1);
    expect(access[0]!.evidence.details.resource).toBe('secrets/prod/db-password');
    expect(access[0]!.evidence.details.sensitivity).toBe('secret');
    expect(access[0]!.evidence.relatedEventIds).toEqual([after.eventId]);
    expect(access[0]!.score).toBeGreaterThanOrEqual(80);
  });

  it('a new, ordinary resource that peers use is not an alert; one that no peer uses is', () => {
    const peers = Array.from({ length: 5 }, (_, i) => stream({ agentId: `p-${i}`, to: T0 + 2 * DAY_MS, perBucket: 3, seed: i + 1, resources: ['search_kb', 'crm.orders', 'kb/articles', 'crm.invoices'] }));
    const me = stream({ agentId: 'me', to: T0 + 2 * DAY_MS, perBucket: 3, seed: 50, resources: ['search_kb', 'crm.orders'] });
    const common = event({ agentId: 'me', timestamp: T0 + DAY_MS + 8 * HOUR_MS, resource: 'crm.invoices' });
    const odd = event({ agentId: 'me', timestamp: T0 + DAY_MS + 9 * HOUR_MS, action: 'net.egress', target: 'upload.unknown-host.example', resource: null });
    const { alerts } = run(renumber(merge(...peers, me, [common, odd])));
    const mine = only(alerts, 'unusual-access').filter((a) => a.agentId === 'me');
    expect(mine.map((a) => a.ruleId)).toEqual(['unusual-access.target', 'unusual-access.action']);
  });

  it('seen-sets forget items unused for seenTtlMs', () => {
    const base = stream({ to: T0 + 40 * DAY_MS, perBucket: 0.5 });
    const first = event({ timestamp: T0 + HOUR_MS, resource: 'secrets/old-token' });
    const again = event({ timestamp: T0 + 35 * DAY_MS, resource: 'secrets/old-token' });
    const { alerts } = run(renumber(merge(base, [first, again])));
    expect(only(alerts, 'unusual-access.resource').map((a) => a.evidence.details.resource)).toEqual(['secrets/old-token']);
  });
});
