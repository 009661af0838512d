import { describe, expect, it } from 'vitest';
import { SeverityValues } from '../../../shared/schemas/generated.js';
import { DAY_MS, HOUR_MS, T0, emissions, event, merge, only, renumber, run, stream } from './helpers.js';

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
});
