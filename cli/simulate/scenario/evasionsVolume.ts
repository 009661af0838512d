/**
 * Evasions that stay under per-bucket and per-agent volume thresholds
 * (issue 11, "Staying under per-bucket floors", "Poisoning still works on
 * rate"). Each kind draws its sizes, durations and counts per incident, so no
 * detector can key on one shape; what stays fixed is the class's property.
 *
 * low-slow-egress: bytes out to hosts the agent already uses, every bucket
 *   raised to 1.5-3x the agent's usual level there (never more) for 3-8 h:
 *   no bucket is a spike, only a total over hours shows it.
 *   Caught by: volume-spike, slow-ramp, accumulation.
 * split-pull: one data pull (records read) split across 3-4 agents of one
 *   role at the same time, 1-3 h, each agent at 1.5-3x its own usual level:
 *   only the role's total shows it. Caught by: an alert on the role group
 *   (group:role:*) or on any participant from volume-spike, accumulation or
 *   group-series.
 * repeated-payments: 8-15 payments, each 2-5x the agent's median payment, to
 *   payees it already pays, within 1-3 h (finance agents, as unusual-payment):
 *   none is large alone. Caught by: volume-spike, accumulation, rate-spike,
 *   unusual-access.
 * poison-then-strike: the agent's activity (rate) or its per-event volumes
 *   ramp up slowly over 1-3 days (to 1.6-2.5x), then a strike of the size the
 *   classic rate-spike / exfil-volume incidents use, which alerts without the
 *   ramp. Caught by: rate-spike, volume-spike, slow-ramp; time to detect runs
 *   from the strike.
 */
import { DAY_MS, HOUR_MS } from './fleet.js';
import type { AgentTrack } from './incidents.js';
import type { Rng } from './prng.js';
import { SLOT_MS, activityAt, lambdaAt, makeEvent, randomAction, type GenEvent } from './traffic.js';
import { activeFor, bucketIndex, hasHistory, median, raiseToMultiple, usualBucketLevel, slotOf, type EvasionKind, type EvasionWorld } from './evasionCommon.js';

const EGRESS_ACTIONS = ['net.egress', 'email.send'];
const bytesOut = (e: GenEvent) => e.bytesOut;
const records = (e: GenEvent) => e.records;

/** Splits `amount` over events of about `typical` each, at random times in [lo, hi). */
function spread(rng: Rng, lo: number, hi: number, amount: number, typical: number, build: (ts: number, share: number) => GenEvent): GenEvent[] {
  const n = Math.max(1, Math.round(amount / Math.max(1, typical)));
  const out: GenEvent[] = [];
  for (let i = 0; i < n; i++) out.push(build(lo + rng.next() * (hi - lo - 1), amount / n));
  return out;
}

function before(track: AgentTrack, ts: number, keep: (e: GenEvent) => boolean): GenEvent[] {
  return track.events.filter((e) => e.timestamp < ts && keep(e));
}

const lowSlowEgress: EvasionKind = {
  eligible: (w, t, ts) => t.agent.actionNames.some((a) => EGRESS_ACTIONS.includes(a)) && hasHistory(t.agent, ts) && activeFor(t, w.startTs, ts, 3, 0.3),
  inject: ({ track, start, rng }) => {
    const action = track.agent.actionNames.includes('net.egress') ? 'net.egress' : 'email.send';
    const past = before(track, start, (e) => e.action === action && e.target !== null);
    // Hosts it already uses: the most used ones in its history.
    const counts = new Map<string, number>();
    for (const e of past) counts.set(e.target!, (counts.get(e.target!) ?? 0) + 1);
    const hosts = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, rng.int(1, 3)).map(([h]) => h);
    if (hosts.length === 0) hosts.push(track.agent.targets.items[0]!);
    const typical = median(past.map(bytesOut)) * rng.uniform(0.7, 1.5);
    const level = rng.uniform(1.5, 3);
    const hours = rng.uniform(3, 8);
    const end = start + Math.round(hours * HOUR_MS);
    const added = raiseToMultiple(track, { from: start, to: end }, bytesOut, () => Math.min(3, level * rng.uniform(0.9, 1.1)), (lo, hi, amount) =>
      spread(rng, lo, hi, amount, typical, (ts, share) => {
        const e = makeEvent(track.agent, rng, ts, action);
        e.target = rng.pick(hosts);
        e.bytesOut = Math.round(share);
        return e;
      }),
    );
    track.events.push(...added);
    // The target: alert before the egress ends (a total needs time to build up).
    return { end, variant: `${action} ${level.toFixed(1)}x for ${hours.toFixed(1)} h, ${hosts.length} known host(s)`, targetBuckets: slotOf(end) - slotOf(start) };
  },
};

const SPLIT_MIN_AGENTS = 3;

function splitPartners(w: EvasionWorld, t: AgentTrack, ts: number): AgentTrack[] {
  return w.tracks.slice(0, w.fleetSize).filter((o) => o !== t && o.agent.role === t.agent.role && o.agent.actionNames.includes('data.read') && hasHistory(o.agent, ts) && activityAt(o.agent, o.factors, w.startTs, ts) >= 0.3);
}

const splitPull: EvasionKind = {
  eligible: (w, t, ts) => t.agent.actionNames.includes('data.read') && hasHistory(t.agent, ts) && activeFor(t, w.startTs, ts, 1, 0.3) && splitPartners(w, t, ts).length >= SPLIT_MIN_AGENTS - 1,
  inject: ({ world, track, start, rng }) => {
    const partners = rng.shuffle(splitPartners(world, track, start)).slice(0, rng.int(SPLIT_MIN_AGENTS, 4) - 1);
    const crew = [track, ...partners];
    const hours = rng.uniform(1, 3);
    const end = start + Math.round(hours * HOUR_MS);
    for (const member of crew) {
      const level = rng.uniform(1.5, 3);
      const typical = median(before(member, start, (e) => e.action === 'data.read').map(records)) * rng.uniform(0.8, 2);
      const added = raiseToMultiple(member, { from: start, to: end }, records, () => Math.min(3, level * rng.uniform(0.9, 1.1)), (lo, hi, amount) =>
        spread(rng, lo, hi, amount, typical, (ts, share) => {
          const e = makeEvent(member.agent, rng, ts, 'data.read');
          e.records = Math.max(1, Math.round(share));
          e.bytesIn = e.records * 400;
          return e;
        }),
      );
      member.events.push(...added);
    }
    return {
      end,
      variant: `${crew.length} ${track.agent.role} agents for ${hours.toFixed(1)} h`,
      participants: crew.map((m) => m.agent.agentId),
      groupIds: [`group:role:${track.agent.role}`],
      targetBuckets: slotOf(end) - slotOf(start),
    };
  },
};

const repeatedPayments: EvasionKind = {
  eligible: (w, t, ts) => t.agent.role === 'finance' && activeFor(t, w.startTs, ts, 1, 0.3),
  inject: ({ track, start, rng }) => {
    const paid = before(track, start, (e) => e.action === 'payment.transfer' && e.amount !== null).map((e) => e.amount!);
    const usual = paid.length >= 5 ? median(paid) : track.agent.payMedian;
    const n = rng.int(8, 15);
    const len = rng.uniform(1, 3) * HOUR_MS;
    let last = start;
    for (let i = 0; i < n; i++) {
      const ts = start + rng.next() * len;
      const e = makeEvent(track.agent, rng, ts, 'payment.transfer');
      e.amount = Math.round(usual * rng.uniform(2, 5) * 100) / 100;
      track.events.push(e);
      last = Math.max(last, ts);
    }
    return { end: Math.floor(last) + SLOT_MS, variant: `${n} payments of 2-5x ${Math.round(usual)} in ${(len / HOUR_MS).toFixed(1)} h`, targetBuckets: slotOf(last) - slotOf(start) };
  },
};

/** Whole days after ts on which a strike at the same hour meets an active agent, inside the scenario. */
function strikeDays(w: EvasionWorld, t: AgentTrack, ts: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= 3; k++) {
    const strike = ts + k * DAY_MS;
    if (strike + 3 * HOUR_MS > w.endTs) break;
    if (activityAt(t.agent, t.factors, w.startTs, strike) >= 0.3 && lambdaAt(t.agent, t.factors, w.startTs, strike) >= 3) out.push(k);
  }
  return out;
}

function largestBefore(t: AgentTrack, ts: number, field: 'records' | 'bytesOut'): number {
  let largest = 0;
  for (const e of t.events) if (e.timestamp < ts && e.timestamp >= ts - 7 * DAY_MS && e[field] > largest) largest = e[field];
  return largest;
}

/** The strike: the classic rate-spike (8-12x the pre-ramp rate, >= 50 events a bucket) or bulk read (>= 20x a usual bucket). */
function strikeEvents(t: AgentTrack, rng: Rng, strike: number, usualRecords: number, rate: boolean, startTs: number): { events: GenEvent[]; end: number } {
  const { agent } = t;
  const events: GenEvent[] = [];
  if (rate) {
    const buckets = rng.int(2, 3);
    const action = randomAction(agent, rng);
    const times = rng.uniform(8, 12);
    for (let b = 0; b < buckets; b++) {
      const from = strike + b * SLOT_MS;
      const n = Math.max(50, Math.round(times * lambdaAt(agent, t.factors, startTs, from)));
      for (let i = 0; i < n; i++) events.push(makeEvent(agent, rng, from + rng.next() * SLOT_MS, action));
    }
    return { events, end: strike + buckets * SLOT_MS };
  }
  const len = rng.int(1, 2) * SLOT_MS;
  const total = Math.max(20 * usualRecords, 3 * largestBefore(t, strike, 'records'), 10_000);
  const n = rng.int(4, 12);
  for (let i = 0; i < n; i++) {
    const e = makeEvent(agent, rng, strike + rng.next() * len, 'data.read');
    e.records = Math.round(total / n);
    e.bytesIn = e.records * 400;
    events.push(e);
  }
  return { events, end: strike + len };
}

const poisonThenStrike: EvasionKind = {
  eligible: (w, t, ts) => activityAt(t.agent, t.factors, w.startTs, ts) >= 0.3 && hasHistory(t.agent, ts) && strikeDays(w, t, ts).length > 0,
  inject: ({ world, track, start, rng }) => {
    const { agent, factors } = track;
    const k = rng.pick(strikeDays(world, track, start));
    const strike = start + k * DAY_MS + Math.round(rng.uniform(0, 40)) * 60_000;
    const peak = rng.uniform(1.6, 2.5);
    const rampRate = rng.chance(0.5);
    const strikeRate = rng.chance(0.5);
    const factor = (ts: number) => 1 + ((peak - 1) * (ts - start)) / (strike - start);
    // The strike is sized on the pre-ramp level, as the classic incidents are.
    const usualRecords = usualBucketLevel(bucketIndex(track.events), agent, strike, records);
    if (rampRate) {
      for (let b = slotOf(start); b * SLOT_MS < strike; b++) {
        const from = b * SLOT_MS;
        const n = rng.poisson((factor(from) - 1) * lambdaAt(agent, factors, world.startTs, from));
        for (let i = 0; i < n; i++) track.events.push(makeEvent(agent, rng, from + rng.next() * SLOT_MS, randomAction(agent, rng)));
      }
    } else {
      for (const e of track.events) {
        if (e.timestamp < start || e.timestamp >= strike) continue;
        const f = factor(e.timestamp);
        e.records = Math.round(e.records * f);
        e.bytesOut = Math.round(e.bytesOut * f);
      }
    }
    const hit = strikeEvents(track, rng, strike, usualRecords, strikeRate, world.startTs);
    track.events.push(...hit.events);
    return {
      end: hit.end,
      variant: `${rampRate ? 'rate' : 'volume'} ramp to ${peak.toFixed(1)}x over ${k} d, ${strikeRate ? 'rate' : 'volume'} strike`,
      detectFrom: strike,
      alsoBusy: [strike],
    };
  },
};

export const VOLUME_EVASIONS = { 'low-slow-egress': lowSlowEgress, 'split-pull': splitPull, 'repeated-payments': repeatedPayments, 'poison-then-strike': poisonThenStrike } satisfies Record<string, EvasionKind>;
