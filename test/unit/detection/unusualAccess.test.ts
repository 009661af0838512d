import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../shared/detection/index.js';
import { DAY_MS, HOUR_MS, T0, event, merge, only, renumber, run, rulesWith, stream } from './helpers.js';

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

  describe('a rollout: a new tool the role adopts', () => {
    // A role of 30 established agents; a new, ordinary resource no one used before.
    const role = Array.from({ length: 30 }, (_, i) => stream({ agentId: `p-${i}`, to: T0 + 3 * DAY_MS, perBucket: 0.5, seed: 100 + i }));
    const at = T0 + DAY_MS + 8 * HOUR_MS;
    const use = (agentId: string, resource: string, ts: number) => event({ agentId, timestamp: ts, action: 'tool.call', resource });
    const firstUses = (alerts: ReturnType<typeof run>['alerts']) => only(alerts, 'unusual-access.resource').map((a) => `${a.agentId} ${a.evidence.details.resource}`);

    it('the first adopter alerts; a second established agent that starts using it within the window does not', () => {
      const adoption = [use('p-0', 'insight_panel_v3', at), use('p-1', 'insight_panel_v3', at + 20 * 60_000)];
      expect(firstUses(run(renumber(merge(...role, adoption))).alerts)).toEqual(['p-0 insight_panel_v3']);
      // With the rollout off, the second first use alerts too: the discount is what keeps it quiet.
      const off = createEngine(rulesWith({ unusualAccess: { rolloutWindowMs: 0 } }));
      expect(firstUses(run(renumber(merge(...role, adoption)), off).alerts)).toEqual(['p-0 insight_panel_v3', 'p-1 insight_panel_v3']);
      // After the window it is no rollout: the item is as rare as before.
      const late = [use('p-0', 'insight_panel_v3', at), use('p-1', 'insight_panel_v3', at + DAY_MS + HOUR_MS)];
      expect(firstUses(run(renumber(merge(...role, late))).alerts)).toEqual(['p-0 insight_panel_v3', 'p-1 insight_panel_v3']);
    }, 30_000);

    it('a use planted by an agent still learning makes no rollout, and sensitive items get no discount', () => {
      const fresh = stream({ agentId: 'fresh', from: at - HOUR_MS, to: at + HOUR_MS, perBucket: 0.5, seed: 7 });
      const planted = [use('fresh', 'relay_tool', at), use('p-2', 'relay_tool', at + 10 * 60_000)];
      expect(firstUses(run(renumber(merge(...role, fresh, planted))).alerts)).toEqual(['p-2 relay_tool']);
      const secret = [use('p-0', 'secrets/new-signing-key', at), use('p-1', 'secrets/new-signing-key', at + 10 * 60_000)];
      expect(firstUses(run(renumber(merge(...role, secret))).alerts)).toEqual(['p-0 secrets/new-signing-key', 'p-1 secrets/new-signing-key']);
    }, 30_000);
  });
});
