/**
 * Cold start (issue 11): a brand-new agent is judged against its peers while it learns (sensitive first uses),
 * and against absolute per-bucket ceilings (volumes), so its first minutes are not a blind spot.
 */
import { describe, expect, it } from 'vitest';
import { PeerGroups } from '../../../shared/detection/baseline/peers.js';
import type { DetectionEvent } from '../../../shared/detection/index.js';
import type { Json } from '../../../shared/detection/types.js';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, event, merge, only, renumber, run, stream, ungroupedEngine } from './helpers.js';

const DEVOPS_ACTIONS = ['api.request', 'data.read', 'tool.call', 'permission.change'];
const DEVOPS_RESOURCES = ['k8s/deployments', 'logs/app', 'vault/ci-token', 'iam/roles/deployer', 'ci/pipelines'];

/** Six devops agents with two days of ordinary traffic: an established role whose seen-sets include sensitive items. */
function devopsFleet(): DetectionEvent[][] {
  return Array.from({ length: 6 }, (_, i) => stream({ agentId: `ops-${i}`, agentRole: 'devops', to: T0 + 2 * DAY_MS, perBucket: 3, seed: 100 + i, actions: DEVOPS_ACTIONS, resources: DEVOPS_RESOURCES }));
}

const JOIN = T0 + DAY_MS + 6 * HOUR_MS;

describe('cold start', () => {
  it("a new agent's root token, database password and cluster-admin grant alert at once, judged against its role", () => {
    const firstUses = [
      { action: 'data.read', resource: 'auth/root-token', label: 'secret' },
      { action: 'data.read', resource: 'secrets/prod/db-password', label: 'secret' },
      { action: 'permission.change', resource: 'k8s/clusterrolebindings/cluster-admin', label: 'admin' },
    ];
    // Each on its own (one fleet each), as a new agent's very first event: it raises the alert itself.
    for (const u of firstUses) {
      const first = event({ agentId: 'new-ops', agentRole: 'devops', timestamp: JOIN, action: u.action, resource: u.resource });
      const { alerts, at } = run(renumber(merge(...devopsFleet(), [first])));
      const k = alerts.findIndex((a) => a.agentId === 'new-ops' && a.ruleId === 'unusual-access.resource');
      expect(k, u.resource).toBeGreaterThanOrEqual(0);
      const a = alerts[k]!;
      expect(at[k]).toBe(JOIN);
      expect(a.evidence.relatedEventIds).toEqual([first.eventId]);
      expect(a.evidence.details).toMatchObject({ resource: u.resource, sensitivity: u.label, learning: 'true', peerBasis: 'role', peerAgentsUsingIt: '0', peerAgents: '6' });
      expect(a.severity).toBe(u.label === 'secret' ? 'HIGH' : 'MEDIUM');
    }
    // All three by one new agent within a minute: one incident (one alert id) that counts the three first uses.
    const together = firstUses.map((u, i) => event({ agentId: 'new-ops', agentRole: 'devops', timestamp: JOIN + i * 20_000, action: u.action, resource: u.resource }));
    const later = event({ agentId: 'new-ops', agentRole: 'devops', timestamp: JOIN + 3 * HOUR_MS, action: 'api.request', resource: 'k8s/deployments' });
    const { alerts, at } = run(renumber(merge(...devopsFleet(), together, [later])));
    const mine = alerts.filter((a) => a.agentId === 'new-ops' && a.ruleId === 'unusual-access.resource');
    expect(at[alerts.indexOf(mine[0]!)]).toBe(together[0]!.timestamp);
    expect(mine[0]!.evidence.details.resource).toBe('auth/root-token');
    expect(mine[mine.length - 1]!.count).toBe(3);
  });

  it('a secret that alerted on two compromised peers does not become common in the role: a new agent reading it still alerts', () => {
    // Two established devops agents read the SSH key after their learning day (each alerts); their first uses are
    // not the role's use, so for a new agent the key is still used by 0 of its 6 peers.
    const compromised = [0, 1].map((i) => event({ agentId: `ops-${i}`, agentRole: 'devops', timestamp: JOIN - HOUR_MS + i * 60_000, action: 'data.read', resource: '.ssh/id_rsa' }));
    const newcomer = event({ agentId: 'new-ops', agentRole: 'devops', timestamp: JOIN, action: 'data.read', resource: '.ssh/id_rsa' });
    const { alerts } = run(renumber(merge(...devopsFleet(), compromised, [newcomer])));
    const firstUses = only(alerts, 'unusual-access.resource').filter((a) => a.evidence.details.resource === '.ssh/id_rsa');
    expect(firstUses.map((a) => a.agentId).sort()).toEqual(['new-ops', 'ops-0', 'ops-1']);
    expect(firstUses.find((a) => a.agentId === 'new-ops')!.evidence.details).toMatchObject({ learning: 'true', peerBasis: 'role', peerAgentsUsingIt: '0' });
  });

  it('the first agent of a new role moving 90,000 records and 50 MB in a bucket alerts on both volumes at once', () => {
    const start = JOIN + 10 * 60_000;
    const ordinary = stream({ agentId: 'analytics-1', agentRole: 'analytics', from: JOIN, to: start, perBucket: 4, seed: 7 });
    const pull = Array.from({ length: 10 }, (_, i) => event({ agentId: 'analytics-1', agentRole: 'analytics', timestamp: start + i * 20_000, action: 'data.read', resource: 'warehouse.orders', records: 9_000, bytesOut: 300 }));
    const egress = Array.from({ length: 10 }, (_, i) => event({ agentId: 'analytics-1', agentRole: 'analytics', timestamp: start + 5_000 + i * 20_000, action: 'net.egress', resource: null, target: 'storage.example-bucket.net', records: 0, bytesOut: 5_000_000 }));
    // Each volume rule's own alert (by default the two are one data-volume incident).
    const { alerts, at } = run(renumber(merge(...devopsFleet(), ordinary, pull, egress)), ungroupedEngine());
    const bucketEnd = (Math.floor(start / BUCKET_MS) + 1) * BUCKET_MS;
    for (const ruleId of ['volume-spike.records', 'volume-spike.bytes-out']) {
      const i = alerts.findIndex((a) => a.agentId === 'analytics-1' && a.ruleId === ruleId);
      expect(i, ruleId).toBeGreaterThanOrEqual(0);
      expect(at[i]!).toBeLessThan(bucketEnd);
      expect(alerts[i]!.description).toContain('absolute limit');
    }
  });

  it('a new role has no peers: a secret no role of the fleet uses alerts (fleet prior); one the fleet uses does not', () => {
    const odd = event({ agentId: 'analytics-1', agentRole: 'analytics', timestamp: JOIN + 60_000, action: 'data.read', resource: 'secrets/prod/db-password' });
    const common = event({ agentId: 'analytics-1', agentRole: 'analytics', timestamp: JOIN + 30_000, action: 'data.read', resource: 'vault/ci-token' });
    const ordinary = stream({ agentId: 'analytics-1', agentRole: 'analytics', from: JOIN, to: JOIN + 2 * HOUR_MS, perBucket: 4, seed: 9 });
    const { alerts } = run(renumber(merge(...devopsFleet(), ordinary, [common, odd])));
    const mine = only(alerts, 'unusual-access').filter((a) => a.agentId === 'analytics-1');
    expect(mine.map((a) => a.evidence.details.resource)).toEqual(['secrets/prod/db-password']);
    expect(mine[0]!.evidence.details.peerBasis).toBe('fleet');
  });

  it('a new agent behaving like its peers (their sensitive items and privileged actions included) raises nothing while it learns', () => {
    const newcomer = stream({ agentId: 'new-ops', agentRole: 'devops', from: JOIN, to: JOIN + 18 * HOUR_MS, perBucket: 3, seed: 77, actions: DEVOPS_ACTIONS, resources: DEVOPS_RESOURCES });
    expect(newcomer.some((e) => e.resource === 'vault/ci-token')).toBe(true);
    expect(newcomer.some((e) => e.action === 'permission.change')).toBe(true);
    const { alerts } = run(renumber(merge(...devopsFleet(), newcomer)));
    expect(alerts.filter((a) => a.agentId === 'new-ops').map((a) => `${a.ruleId}: ${a.title}`)).toEqual([]);
  });

  it("the role's start survives a peer snapshot; a snapshot from before it existed counts as established", () => {
    const groups = new PeerGroups();
    const r = groups.role('devops');
    r.agents.add('ops-0');
    r.since = T0;
    groups.role('empty');
    const restored = PeerGroups.restore(JSON.parse(JSON.stringify(groups.snapshot())) as Json);
    expect(restored.role('devops').since).toBe(T0);
    expect(restored.role('empty').since).toBe(Infinity);
    const legacy = PeerGroups.restore([['devops', ['ops-0'], [], []]] as unknown as Json);
    expect(legacy.role('devops').since).toBeLessThanOrEqual(T0 - 365 * DAY_MS);
  });

  it("a rollout's start (the first established agent's use of an item) survives a peer snapshot; items without one stay without", () => {
    const groups = new PeerGroups();
    const seen = groups.seenMap('support', 'resource');
    seen.set('insight_panel_v3', { agents: 2, lastSeen: T0 + HOUR_MS, firstJudgedUse: T0 });
    seen.set('kb/articles', { agents: 5, lastSeen: T0 });
    const restored = PeerGroups.restore(JSON.parse(JSON.stringify(groups.snapshot())) as Json).seenMap('support', 'resource');
    expect(restored.get('insight_panel_v3')).toEqual({ agents: 2, lastSeen: T0 + HOUR_MS, firstJudgedUse: T0 });
    expect(restored.get('kb/articles')).toEqual({ agents: 5, lastSeen: T0 });
  });
});
