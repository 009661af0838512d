import { describe, expect, it } from 'vitest';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, event, merge, only, renumber, run, stream } from './helpers.js';

const failures = (at: number, n: number, outcome: 'ERROR' | 'DENIED' = 'ERROR') =>
  Array.from({ length: n }, (_, i) => event({ timestamp: at + Math.floor((i * BUCKET_MS) / (n + 1)), action: outcome === 'ERROR' ? 'auth.login' : 'data.read', outcome, resource: 'idp/okta' }));

describe('error-burst', () => {
  it('a few failures raise nothing; a burst of failed logins after warm-up does', () => {
    const base = stream({ to: T0 + 2 * DAY_MS + 2 * HOUR_MS, perBucket: 10 });
    const few = failures(T0 + DAY_MS + 5 * HOUR_MS, 3);
    const burst = failures(T0 + 2 * DAY_MS + HOUR_MS, 20);
    const { alerts } = run(renumber(merge(base, few, burst)));
    const auth = only(alerts, 'error-burst.auth-failures');
    expect(auth.length).toBe(1);
    expect(auth[0]!.firstSeen).toBeGreaterThanOrEqual(T0 + 2 * DAY_MS + HOUR_MS);
  });

  it('the absolute floor (alwaysAt) fires even while the agent warms up', () => {
    const base = stream({ to: T0 + 3 * HOUR_MS, perBucket: 10 });
    const { alerts } = run(renumber(merge(base, failures(T0 + HOUR_MS, 40, 'DENIED'))));
    const denied = only(alerts, 'error-burst.denied');
    expect(denied.length).toBe(1);
    expect(denied[0]!.evidence.baselineSource).toBe('rule');
  });
});
