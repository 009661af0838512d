/**
 * Evasions of the count floors, the learning period and single-event rules
 * (issue 11, "Staying under per-bucket floors", "Cold start", "Multi-step
 * flows"). Sizes, durations, counts and resources are drawn per incident.
 *
 * auth-under-floor: failed logins (outcome ERROR on the agent's auth.* action,
 *   as credential-burst makes them) for 2-5 h, every bucket (normal failures
 *   included) just under error-burst.auth-failures' minValue floor, read from
 *   the rules the scenario is generated for. Caught by: error-burst,
 *   accumulation, slow-ramp.
 * cold-start: a brand-new agent joins mid-scenario and, within its first
 *   0.5-4 hours, uses a root token, reads a secret or grants an admin
 *   permission (resources the rules' sensitivity labels call secret/admin);
 *   variant new-role-bulk: the first agent of a role the fleet never had pulls
 *   60,000-120,000 records and 35-70 MB out per bucket for 2-4 buckets.
 *   Caught by: unusual-access, flow (sensitive use); volume-spike,
 *   unusual-access (new role).
 * multi-step-flow: a read of a sensitive resource, then within 0.5-9 minutes
 *   egress or email to a destination new to the agent; or an untrusted
 *   prompt.input (attributes trust/input.source) followed within 0.5-9
 *   minutes by a payment or a permission change. Each step is of ordinary size.
 *   Caught by: flow.
 */
import { getRule } from '../../../shared/detection/index.js';
import { DAY_MS, HOUR_MS, type RoleSpec } from './fleet.js';
import { SENSITIVE, type AgentTrack } from './incidents.js';
import type { Rng } from './prng.js';
import { SLOT_MS, activityAt, benignText, makeEvent, type GenEvent } from './traffic.js';
import { activeFor, addAgent, bucketIndex, bucketSum, slotOf, type EvasionKind, type EvasionWorld } from './evasionCommon.js';

const authAction = (t: AgentTrack) => t.agent.actionNames.find((a) => a.startsWith('auth.'));
const isAuthFailure = (e: GenEvent) => (e.outcome === 'ERROR' && e.action.startsWith('auth.') ? 1 : 0);

const authUnderFloor: EvasionKind = {
  eligible: (w, t, ts) => authAction(t) !== undefined && activeFor(t, w.startTs, ts, 2, 0.2),
  inject: ({ world, track, start, rng }) => {
    const floor = getRule(world.rules, 'error-burst.auth-failures').thresholds.minValue;
    const action = authAction(track)!;
    const resources = track.agent.resources.get(action)?.items ?? ['idp/okta'];
    const hours = rng.uniform(2, 5);
    const end = start + Math.round(hours * HOUR_MS);
    const index = bucketIndex(track.events);
    let failures = 0;
    for (let b = slotOf(start); b * SLOT_MS < end; b++) {
      const wanted = rng.int(Math.max(1, floor - 3), floor - 1);
      const n = Math.max(0, wanted - bucketSum(index, b, isAuthFailure));
      for (let i = 0; i < n; i++) {
        const e = makeEvent(track.agent, rng, Math.min(end - 1, b * SLOT_MS + rng.next() * SLOT_MS), action);
        e.outcome = 'ERROR';
        e.resource = rng.pick(resources);
        track.events.push(e);
        failures++;
      }
    }
    return { end, variant: `${failures} failures in ${hours.toFixed(1)} h under a floor of ${floor}`, targetBuckets: slotOf(end) - slotOf(start) };
  },
};

const ROOT_TOKENS = ['iam/root-token', 'cloud/aws/root_token', 'k8s/service-account-token', 'auth/master-token'];
const SECRETS = ['secrets/prod/db-password', 'vault/secret/payments-api-key', '.ssh/id_rsa', 'kms/keys/signing', 'credentials/aws-root'];
const ADMIN_GRANTS = ['iam/roles/cluster-admin', 'k8s/clusterrolebindings/admin', 'iam/policies/admin', 'db/superusers'];
const NEW_ROLES = ['reporting', 'data-export', 'migration', 'etl'];

function sensitiveUse(t: AgentTrack, rng: Rng, at: number): { events: GenEvent[]; what: string } {
  const what = rng.pick(['root-token', 'secret-read', 'admin-grant'] as const);
  const n = rng.int(1, 3);
  const events: GenEvent[] = [];
  const resource = rng.pick(what === 'root-token' ? ROOT_TOKENS : what === 'secret-read' ? SECRETS : ADMIN_GRANTS);
  for (let i = 0; i < n; i++) {
    const action = what === 'root-token' ? rng.pick(['auth.login', 'api.request']) : what === 'secret-read' ? 'data.read' : 'permission.change';
    const e = makeEvent(t.agent, rng, at + i * rng.uniform(5_000, 120_000), action);
    e.resource = resource;
    e.outcome = 'SUCCESS';
    events.push(e);
  }
  return { events, what: `${what} ${resource}` };
}

function bulkPull(t: AgentTrack, rng: Rng, at: number): { events: GenEvent[]; what: string } {
  const buckets = rng.int(2, 4);
  const recordsPerBucket = rng.int(60_000, 120_000);
  const bytesPerBucket = rng.int(35, 70) * 1_000_000;
  const host = `ingest-${rng.int(10, 99)}.warehouse-sync.example`;
  const events: GenEvent[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(at / SLOT_MS) * SLOT_MS + b * SLOT_MS;
    const reads = rng.int(3, 8);
    for (let i = 0; i < reads; i++) {
      const e = makeEvent(t.agent, rng, from + rng.next() * SLOT_MS, 'data.read');
      e.records = Math.round(recordsPerBucket / reads);
      e.bytesIn = e.records * 400;
      events.push(e);
    }
    const sends = rng.int(2, 6);
    for (let i = 0; i < sends; i++) {
      const e = makeEvent(t.agent, rng, from + rng.next() * SLOT_MS, 'net.egress');
      e.target = host;
      e.bytesOut = Math.round(bytesPerBucket / sends);
      events.push(e);
    }
  }
  return { events, what: `${buckets} buckets of ${recordsPerBucket} records and ${Math.round(bytesPerBucket / 1e6)} MB` };
}

const coldStart: EvasionKind = {
  // The join time: after the fleet's first day (the role has learned), early enough for the first hours.
  earliest: (w) => w.startTs + DAY_MS + 12 * HOUR_MS,
  eligible: (w, t, ts) => ts + 8 * HOUR_MS < w.endTs && activityAt(t.agent, t.factors, w.startTs, ts + HOUR_MS) >= 0.3,
  inject: (place) => {
    const { track: model, start, rng } = place;
    const newRole = rng.chance(0.35);
    const spec: RoleSpec = newRole ? { ...model.agent.spec, name: `${rng.pick(NEW_ROLES)}-${place.ordinal}` } : model.agent.spec;
    const joined = addAgent(place.world, place.rng, spec, start);
    const at = start + Math.round(rng.uniform(0.5, 4) * HOUR_MS);
    const attack = newRole ? bulkPull(joined, rng, at) : sensitiveUse(joined, rng, at);
    joined.events.push(...attack.events);
    const last = Math.max(...attack.events.map((e) => e.timestamp));
    return {
      end: last + SLOT_MS,
      variant: `${newRole ? 'new-role-bulk' : 'new-agent'}: ${attack.what}`,
      agentId: joined.agent.agentId,
      duringWarmup: true,
      detectFrom: at,
    };
  },
};

const EGRESS_ACTIONS = ['net.egress', 'email.send'];

function sensitiveResource(w: EvasionWorld, t: AgentTrack, rng: Rng): string {
  // Preferably one the agent already reads (so only the sequence is new), else a first touch.
  const labels = w.rules.sensitivity.filter((s) => s.fields.includes('resource')).map((s) => new RegExp(s.pattern, 'i'));
  const own = (t.agent.resources.get('data.read')?.items ?? []).filter((r) => labels.some((re) => re.test(r)));
  return own.length > 0 && rng.chance(0.5) ? rng.pick(own) : rng.pick(SENSITIVE);
}

const multiStepFlow: EvasionKind = {
  eligible: (w, t, ts) => t.agent.actionNames.some((a) => EGRESS_ACTIONS.includes(a)) && activityAt(t.agent, t.factors, w.startTs, ts) >= 0.2,
  inject: ({ world, track, start, rng }) => {
    const { agent } = track;
    const gapMs = rng.uniform(0.5, 9) * 60_000;
    const untrusted = rng.chance(0.5);
    let first: GenEvent;
    let second: GenEvent;
    let variant: string;
    if (untrusted) {
      first = makeEvent(agent, rng, start, 'prompt.input');
      first.attributes = { trust: 'untrusted', 'input.source': rng.pick(['web', 'email', 'document', 'tool-output']) };
      first.text = benignText(agent, rng);
      const pay = agent.role === 'finance' || (agent.role !== 'devops' && rng.chance(0.5));
      second = makeEvent(agent, rng, start + gapMs, pay ? 'payment.transfer' : 'permission.change');
      if (!pay) second.resource = agent.resources.get('permission.change')?.items[0] ?? 'iam/roles/deployer';
      variant = `untrusted ${first.attributes['input.source']} input, then ${second.action}`;
    } else {
      first = makeEvent(agent, rng, start, 'data.read');
      first.resource = sensitiveResource(world, track, rng);
      first.outcome = 'SUCCESS';
      const action = agent.actionNames.includes('net.egress') ? 'net.egress' : 'email.send';
      second = makeEvent(agent, rng, start + gapMs, action);
      second.target = action === 'net.egress' ? `sync-${rng.int(100, 999)}.${rng.pick(['files-share', 'cdn-drop', 'storage-box'])}.example` : `inbox-${rng.int(100, 999)}.${rng.pick(['mail-drop', 'relay-post'])}.example`;
      variant = `read ${first.resource}, then ${action} to a new destination`;
    }
    first.outcome = 'SUCCESS';
    second.outcome = 'SUCCESS';
    track.events.push(first, second);
    // Detection is due once the second step has happened.
    return { end: second.timestamp + SLOT_MS, variant: `${variant} after ${(gapMs / 60_000).toFixed(1)} min`, detectFrom: second.timestamp };
  },
};

export const ACCESS_EVASIONS = { 'auth-under-floor': authUnderFloor, 'cold-start': coldStart, 'multi-step-flow': multiStepFlow } satisfies Record<string, EvasionKind>;
