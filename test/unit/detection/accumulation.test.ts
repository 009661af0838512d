import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../shared/detection/index.js';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, event, merge, only, renumber, run, rulesWith, stream } from './helpers.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';

const noAccumulation = () => createEngine(rulesWith({ baseline: { accumulation: { horizonsHours: [] } } }));
const accumulated = (alerts: ReturnType<typeof run>['alerts']) => alerts.filter((a) => a.evidence.details.horizonHours !== undefined);

/** Failed logins: `perBucket(b)` of them in bucket b, spread over the bucket. */
function failures(from: number, to: number, perBucket: (b: number) => number): ReturnType<typeof stream> {
  const out = [];
  for (let b = from; b < to; b += BUCKET_MS) {
    const n = perBucket(b);
    for (let i = 0; i < n; i++) out.push(event({ timestamp: b + Math.floor(((i + 0.5) * BUCKET_MS) / n), action: 'auth.login', outcome: 'ERROR', resource: 'idp/okta' }));
  }
  return out;
}

describe('accumulation over hours', () => {
  // Six days of work with an occasional failed login (a mistyped password now and then), then failures paced at
  // 5 per bucket for five hours: one under error-burst's per-bucket floor of 6, so no bucket alerts.
  const rng = new Rng(7);
  const base = stream({ to: T0 + 6 * DAY_MS + 8 * HOUR_MS, perBucket: 10 });
  const everyday = failures(T0, T0 + 6 * DAY_MS + 8 * HOUR_MS, () => (rng.next() < 0.25 ? 1 : 0));
  const attackFrom = T0 + 6 * DAY_MS + HOUR_MS;
  const attackTo = attackFrom + 5 * HOUR_MS;
  const paced = failures(attackFrom, attackTo, () => 5);

  it('failed logins paced under the per-bucket floor alert on their total over hours, with the horizon in the evidence', () => {
    const { alerts, at } = run(renumber(merge(base, everyday, paced)));
    const auth = accumulated(only(alerts, 'error-burst.auth-failures'));
    expect(auth.length).toBe(1);
    const found = auth[0]!;
    expect(found.evidence.details.horizonHours).toBe('3');
    expect(Number(found.evidence.details.ratio)).toBeGreaterThan(2);
    expect(found.title).toMatch(/failed authentications accumulated over [34]\.\d h: \d+ \(expected ~/);
    const raisedAt = at[alerts.indexOf(found)]!;
    // Hours into it: a total needs time to build up (the window also holds the hour before).
    expect(raisedAt).toBeGreaterThanOrEqual(attackFrom + HOUR_MS);
    expect(raisedAt).toBeLessThan(attackTo);
    expect(found.evidence.windowEnd - found.evidence.windowStart).toBeGreaterThanOrEqual(3 * HOUR_MS);
  });

  it('a second paced run the same day alerts again once the first has subsided (a decoy does not buy a day unjudged)', () => {
    // The horizons rested a full day after firing: failures paced again 8 h after the first run ended went unseen.
    const againFrom = attackTo + 8 * HOUR_MS;
    const longer = stream({ to: againFrom + 6 * HOUR_MS, perBucket: 10 });
    const quietRng = new Rng(13);
    const quiet = failures(T0, againFrom + 6 * HOUR_MS, () => (quietRng.next() < 0.25 ? 1 : 0));
    const again = failures(againFrom, againFrom + 5 * HOUR_MS, () => 5);
    const { alerts, at } = run(renumber(merge(longer, quiet, paced, again)));
    const raised = accumulated(only(alerts, 'error-burst.auth-failures')).map((a) => at[alerts.indexOf(a)]!);
    expect(raised).toHaveLength(2);
    expect(raised[0]!).toBeLessThan(attackTo);
    expect(raised[1]!).toBeGreaterThanOrEqual(againFrom);
    expect(raised[1]!).toBeLessThan(againFrom + 5 * HOUR_MS);
    // The waiting state survives a restart: the agent moved through snapshot bytes between the runs alerts the same.
    const events = renumber(merge(longer, quiet, paced, again));
    // Cut just after the first run: its horizons have rested and wait for its total to subside.
    const cut = events.findIndex((e) => e.timestamp >= attackTo + 15 * 60_000);
    const first = createEngine(rulesWith({}));
    const before = run(events.slice(0, cut), first);
    const moved = createEngine(rulesWith({}));
    for (const id of first.agentIds()) moved.restoreAgentBytes(id, first.snapshotAgentBytes(id)!);
    moved.restorePeers(JSON.parse(JSON.stringify(first.snapshotPeers())));
    const after = run(events.slice(cut), moved);
    const alertIds = (list: typeof alerts) => accumulated(only(list, 'error-burst.auth-failures')).map((a) => a.alertId);
    expect([...alertIds(before.alerts), ...alertIds(after.alerts)]).toEqual(alertIds(alerts));
  });

  it('the same days without the paced failures raise nothing, and with accumulation off no total is judged', () => {
    expect(only(run(renumber(merge(base, everyday))).alerts, 'error-burst')).toEqual([]);
    expect(accumulated(run(renumber(merge(base, everyday))).alerts)).toEqual([]);
    expect(accumulated(run(renumber(merge(base, everyday, paced)), noAccumulation()).alerts)).toEqual([]);
  });

  it('an agent that almost never fails a login is judged on a Poisson prior: its paced failures alert before it has a history', () => {
    // A failed login every ~10 hours: after three days its series has a handful of judgements, far from trusted.
    const sparseRng = new Rng(11);
    const days = T0 + 3 * DAY_MS + 8 * HOUR_MS;
    const rare = failures(T0, days, () => (sparseRng.next() < 0.008 ? 1 : 0));
    const from = T0 + 3 * DAY_MS + HOUR_MS;
    const pacedRare = failures(from, from + 5 * HOUR_MS, () => 4);
    const events = (extra: ReturnType<typeof stream>) => renumber(merge(stream({ to: days, perBucket: 10, seed: 12 }), rare, extra));
    const auth = accumulated(only(run(events(pacedRare)).alerts, 'error-burst.auth-failures'));
    expect(auth.length).toBe(1);
    expect(auth[0]!.evidence.windowStart).toBeGreaterThanOrEqual(from - 2 * HOUR_MS);
    expect(accumulated(run(events([])).alerts)).toEqual([]);
  });

  // Egress: about 2,000 bytes per event, 10 events per bucket; then every bucket carries 2.5x for six hours, in
  // events of the usual size (never a spike), against a control that moves a few large transfers in one hour.
  const egress = stream({ to: T0 + 4 * DAY_MS + 10 * HOUR_MS, perBucket: 10, seed: 3 });
  const raised = (from: number, to: number) =>
    stream({ from, to, perBucket: 15, seed: 4, actions: ['net.egress'] }).map((e) => ({ ...e, records: 0, tokens: 0 }));
  const exfilFrom = T0 + 4 * DAY_MS + 2 * HOUR_MS;

  it('egress raised to 2.5x for six hours in ordinary-size events alerts on bytes out; a few large transfers in an hour do not', () => {
    const slow = run(renumber(merge(egress, raised(exfilFrom, exfilFrom + 6 * HOUR_MS))));
    const bytes = accumulated(only(slow.alerts, 'volume-spike.bytes-out'));
    expect(bytes.length).toBe(1);
    expect(bytes[0]!.firstSeen).toBeGreaterThan(exfilFrom);
    const large = [0, 1, 2].map((i) => event({ timestamp: exfilFrom + i * 20 * 60_000 + 1000, action: 'net.egress', bytesOut: 400_000, records: 0, tokens: 0 }));
    const lumpy = run(renumber(merge(egress, large)));
    expect(accumulated(lumpy.alerts)).toEqual([]);
  });

  it('with heavy-tailed sizes, egress doubled in events of the typical size alerts: large ordinary transfers do not drown the count', () => {
    // Sizes spread over two orders of magnitude (log sd 1.2): an hour's total swings with a few large transfers.
    // Then for six hours twice as many events of about the typical size: each counts in full, the swings barely.
    const heavy = (seed: number, from: number, to: number, perBucket: number, sigma: number) =>
      stream({ from, to, perBucket, seed, actions: ['net.egress'], with: (r) => ({ bytesOut: Math.round(r.lognormal(2000, sigma)), records: 0, tokens: 0 }) });
    const days = T0 + 5 * DAY_MS + 10 * HOUR_MS;
    const from = T0 + 5 * DAY_MS + 2 * HOUR_MS;
    const usual = heavy(21, T0, days, 10, 1.2);
    const doubled = heavy(22, from, from + 6 * HOUR_MS, 10, 0.2);
    const bytes = accumulated(only(run(renumber(merge(usual, doubled))).alerts, 'volume-spike.bytes-out'));
    expect(bytes.length).toBe(1);
    expect(bytes[0]!.firstSeen).toBeGreaterThan(from);
    expect(accumulated(run(renumber(usual)).alerts)).toEqual([]);
  });
});
