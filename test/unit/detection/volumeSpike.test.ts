import { describe, expect, it } from 'vitest';
import { SeverityValues } from '../../../shared/schemas/generated.js';
import { createEngine } from '../../../shared/detection/index.js';
import { DEFAULT_RULES } from '../../../shared/detection/rules/defaults.js';
import type { DetectionEvent } from '../../../shared/detection/types.js';
import { DAY_MS, HOUR_MS, T0, emissions, event, merge, only, renumber, rulesWith, run, stream } from './helpers.js';

describe('volume-spike', () => {
  it('no alert during warm-up, an alert for bytes out 50x the usual bucket afterwards', () => {
    const base = stream({ to: T0 + 3 * DAY_MS, perBucket: 10 });
    const early = event({ timestamp: T0 + HOUR_MS, action: 'net.egress', target: 'files.example', bytesOut: 5_000_000 });
    const late = [0, 1, 2, 3].map((i) => event({ timestamp: T0 + 2 * DAY_MS + 12 * HOUR_MS + i * 10_000, action: 'net.egress', target: 'files.example', bytesOut: 2_500_000 }));
    const { alerts } = run(renumber(merge(base, [early], late)));
    const bytes = only(alerts, 'volume-spike.bytes-out');
    expect(bytes.length).toBe(1);
    expect(bytes[0]!.firstSeen).toBeGreaterThanOrEqual(T0 + 2 * DAY_MS);
    expect(bytes[0]!.tags).toContain('mitre:T1041');
  });

  it('escalates the same alert while the exfiltration grows within the bucket, instead of waiting for the cooldown', () => {
    const base = stream({ to: T0 + 3 * DAY_MS, perBucket: 10 });
    // About 3.7 MB out in sixty growing steps (2 kB, 4 kB, ... 120 kB), 4 s apart: one bucket. The first
    // crossing is just past the statistical threshold (no absolute floor in the way): raised low, then escalated.
    const exfil = Array.from({ length: 60 }, (_, i) => event({ timestamp: T0 + 2 * DAY_MS + 12 * HOUR_MS + i * 4000, action: 'net.egress', target: 'files.example', bytesOut: 2_000 * (i + 1) }));
    const { alerts } = run(renumber(merge(base, exfil)));
    const sent = emissions(alerts, 'volume-spike.bytes-out');
    expect(new Set(sent.map((a) => a.alertId)).size).toBe(1); // one incident
    const ranks = sent.map((a) => SeverityValues.indexOf(a.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b)); // severity only goes up
    expect(sent.length).toBeGreaterThan(1); // it was raised early, then escalated
    expect(sent.at(-1)!.severity).toBe('HIGH'); // the rule's full severity, within the bucket
    expect(sent.at(-1)!.lastSeen).toBeLessThan(T0 + 2 * DAY_MS + 12 * HOUR_MS + 5 * 60_000);
  });

  it('a payment far above the agent\'s usual payments alerts; usual ones do not', () => {
    const pays = stream({
      to: T0 + 2 * DAY_MS,
      perBucket: 0.3,
      actions: ['payment.transfer'],
      with: (rng) => ({ amount: Math.round(rng.lognormal(400, 0.4) * 100) / 100, currency: 'EUR', target: 'vendor-1.example' }),
    });
    const big = event({ timestamp: T0 + 2 * DAY_MS + HOUR_MS, action: 'payment.transfer', amount: 12_000, currency: 'EUR', target: 'vendor-1.example' });
    const { alerts } = run(renumber(merge(pays, [big])));
    const payment = only(alerts, 'volume-spike.payment');
    expect(payment.length).toBe(1);
    expect(payment[0]!.evidence.observed).toBe(12_000);
    expect(['HIGH', 'CRITICAL']).toContain(payment[0]!.severity);
  });

  describe('payment runs (volume-spike.payment-run)', () => {
    // Two days of ordinary payments, ~3.6 an hour, median ~400.
    const usual = (perBucket = 0.3, to = T0 + 2 * DAY_MS) =>
      stream({ to, perBucket, actions: ['payment.transfer'], with: (rng) => ({ amount: Math.round(rng.lognormal(400, 0.4) * 100) / 100, currency: 'EUR', target: rng.pick(['vendor-1.example', 'vendor-2.example']) }) });
    const runStart = T0 + 2 * DAY_MS + 10 * HOUR_MS;
    // The example: twelve payments of 4x the median within two hours, to payees the agent already pays.
    const twelve = () => Array.from({ length: 12 }, (_, i) => event({ timestamp: runStart + i * 10 * 60_000, action: 'payment.transfer', amount: 1_600 + i, currency: 'EUR', target: 'vendor-1.example' }));
    const tail = () => usual(0.3, T0 + 3 * DAY_MS).filter((e) => e.timestamp > T0 + 2 * DAY_MS);

    it('twelve payments of 4x the median within two hours alert once, on the run, naming its payments; none alerts alone', () => {
      const { alerts } = run(renumber(merge(usual(), twelve(), tail())));
      expect(only(alerts, 'volume-spike.payment').filter((a) => a.ruleId === 'volume-spike.payment')).toEqual([]);
      const runs = only(alerts, 'volume-spike.payment-run');
      expect(runs.length).toBe(1);
      const alert = runs[0]!;
      expect(alert.firstSeen).toBeGreaterThanOrEqual(runStart);
      expect(alert.firstSeen).toBeLessThan(runStart + 2 * HOUR_MS);
      // Earlier payments above the usual size count while they weigh something (4 half-lives at most).
      expect(alert.evidence.windowStart).toBeGreaterThanOrEqual(runStart - 4 * HOUR_MS);
      expect(Number(alert.evidence.details.payments)).toBeGreaterThanOrEqual(4);
      expect(alert.evidence.details.payees).toContain('vendor-1.example');
      expect(alert.evidence.observed).toBeGreaterThanOrEqual((DEFAULT_RULES.rules.find((r) => r.id === 'volume-spike.payment-run')!.thresholds as { minExcessPayments: number }).minExcessPayments);
    });

    it('three times as many payments of the usual size, or one very large payment, are no run', () => {
      const busy = usual(1, T0 + 3 * DAY_MS).filter((e) => e.timestamp > T0 + 2 * DAY_MS);
      expect(only(run(renumber(merge(usual(), busy))).alerts, 'volume-spike.payment-run')).toEqual([]);
      const big = event({ timestamp: runStart, action: 'payment.transfer', amount: 40_000, currency: 'EUR', target: 'vendor-1.example' });
      const { alerts } = run(renumber(merge(usual(), [big], tail())));
      expect(only(alerts, 'volume-spike.payment').map((a) => a.ruleId)).toEqual(['volume-spike.payment']);
    });

    it('the run is judged with volume-spike.payment disabled (the two rules share the payment baseline)', () => {
      const engine = createEngine(rulesWith({ rules: [{ id: 'volume-spike.payment', enabled: false }] }));
      const { alerts } = run(renumber(merge(usual(), twelve(), tail())), engine);
      expect(only(alerts, 'volume-spike.payment').map((a) => a.ruleId)).toEqual(['volume-spike.payment-run']);
      expect(alerts.some((a) => a.title.includes('  '))).toBe(false);
    });

    it("a run's payments do not raise the median it is judged against while it may still fire (poisoning)", () => {
      // Twenty payments of 2.6x the median, six minutes apart: learned as they came, the run's own payments would lift
      // the median of the last 50 by ~13% and keep its weight under the threshold; held out, the run fires.
      const creeping = Array.from({ length: 20 }, (_, i) => event({ timestamp: runStart + i * 6 * 60_000, action: 'payment.transfer', amount: 1_040 + i, currency: 'EUR', target: 'vendor-2.example' }));
      const { alerts } = run(renumber(merge(usual(), creeping, tail())));
      expect(only(alerts, 'volume-spike.payment').map((a) => a.ruleId)).toEqual(['volume-spike.payment-run']);
    });

    it('payments a run held are learned once they fade out of it: a lasting rise in payment sizes becomes the usual', () => {
      // From the run's start on, every payment is 2.6x the old median, for a day and a half: each is held while it
      // weighs in a run, learned as it fades, and the median follows the new level (held for good, it never would).
      const higher = usual(0.3, T0 + 4 * DAY_MS)
        .filter((e) => e.timestamp >= runStart)
        .map((e) => ({ ...e, amount: Math.round(e.amount! * 2.6 * 100) / 100 }));
      const engine = createEngine(DEFAULT_RULES);
      const { alerts } = run(renumber(merge(usual(), higher)), engine);
      expect(only(alerts, 'volume-spike.payment').length).toBeLessThanOrEqual(1);
      const volume = engine.snapshotAgent('agent-1')!.detectors['volume-spike'] as { pay: number[] };
      const ring = [...volume.pay].sort((a, b) => a - b);
      expect(Math.exp(ring[ring.length >> 1]!)).toBeGreaterThan(2 * 400);
    });

    it('a snapshot taken in the middle of a run restores it: the same alert fires after the restore', () => {
      const list = renumber(merge(usual(), twelve(), tail()));
      const cut = list.findIndex((e) => e.timestamp >= runStart + 25 * 60_000);
      const straight = createEngine(DEFAULT_RULES);
      for (const e of list.slice(0, cut)) straight.process(e);
      const bytes = straight.snapshotAgentBytes('agent-1')!;
      const expected = list.slice(cut).flatMap((e: DetectionEvent) => straight.process(e));
      const moved = createEngine(DEFAULT_RULES);
      moved.restoreAgentBytes('agent-1', Uint8Array.from(bytes));
      const actual = list.slice(cut).flatMap((e: DetectionEvent) => moved.process(e));
      expect(actual).toEqual(expected);
      expect(only(actual, 'volume-spike.payment-run').length).toBe(1);
    });
  });
});
