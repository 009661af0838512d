/**
 * Dormant series (baseline/series.ts): a series that has only closed zero
 * buckets keeps no window, profile or tails, and builds them the first time
 * they are needed. That must be invisible: the same stream fed to a series
 * made eager (materialised at creation) and to a lazy one gives the same drops,
 * thresholds, crossings and state, through long silences, gaps longer than the
 * fill, backwards moves, learning periods and snapshots taken while dormant.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advance, createSeries, crossed, materialise, touch, type SeriesParams, type SeriesState } from '../../../shared/detection/baseline/series.js';
import { restoreSeries, snapshotSeries } from '../../../shared/detection/baseline/seriesCodec.js';
import { newPeerSeries, type PeerSeries } from '../../../shared/detection/baseline/peers.js';
import { spikeParams } from '../../../shared/detection/detectors/common.js';
import { UTC } from '../../../shared/detection/timeZone.js';
import { DEFAULT_RULES } from '../../../shared/detection/index.js';
import type { Json } from '../../../shared/detection/types.js';

const errorParams = spikeParams(DEFAULT_RULES, 'error-burst.auth-failures', { poisson: true, absSpreadFloor: 1 });
const rateParams = spikeParams(DEFAULT_RULES, 'rate-spike.agent', { poisson: true, absSpreadFloor: 1 });
const volumeParams = spikeParams(DEFAULT_RULES, 'volume-spike.records', { poisson: false, absSpreadFloor: 1, singleEventGuard: true });
const flatParams: SeriesParams = { ...rateParams, seasonal: false };

/** One step of a stream: move `move` buckets (negative: an out-of-order event), then add `values` (none: a flush). */
interface Step {
  move: number;
  values: number[];
  ownAllowed: boolean;
  snapshot: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  // Mostly the next bucket; sometimes a gap (up to past the two-day fill), rarely a step back.
  move: fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 400, max: 900 }) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: -1 }) }),
  // Mostly silent: the values arrive in rare bursts.
  values: fc.oneof({ weight: 8, arbitrary: fc.constant([] as number[]) }, { weight: 2, arbitrary: fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 500, noNaN: true })), { minLength: 1, maxLength: 6 }) }),
  ownAllowed: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  snapshot: fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/** What the caller can see of a series after a step. */
function visible(st: SeriesState) {
  return [st.openBucket, st.openValue, st.upperThreshold, st.lowerThreshold, st.expectedHigh, st.expectedLow, st.spread, st.upperZ, st.lowerZ, st.source, st.firedBand, st.closedBuckets];
}

function feed(lazy: SeriesState, eager: SeriesState, p: SeriesParams, steps: readonly Step[], peers: [PeerSeries, PeerSeries]): { lazy: SeriesState; eager: SeriesState } {
  let bucket = 1_000;
  for (const s of steps) {
    bucket = Math.max(0, bucket + s.move);
    if (s.values.length === 0) {
      // A flush: close what is open (the engine does this for every series of an agent it hears from).
      if (lazy.openBucket >= 0 && lazy.openBucket < bucket) expect(advance(lazy, p, bucket, peers[0], UTC)).toEqual(advance(eager, p, bucket, peers[1], UTC));
    } else {
      expect(touch(lazy, p, bucket, peers[0], UTC, s.ownAllowed)).toEqual(touch(eager, p, bucket, peers[1], UTC, s.ownAllowed));
      for (const v of s.values) {
        lazy.openValue += v;
        eager.openValue += v;
        expect(crossed(lazy, p)).toBe(crossed(eager, p));
      }
    }
    expect(visible(lazy)).toEqual(visible(eager));
    if (s.snapshot) {
      // A dormant series survives a snapshot as dormant, and a JSON round trip changes nothing.
      lazy = restoreSeries(JSON.parse(JSON.stringify(snapshotSeries(lazy))) as Json, p);
      eager = restoreSeries(JSON.parse(JSON.stringify(snapshotSeries(eager))) as Json, p);
    }
  }
  return { lazy, eager };
}

function sameState(lazy: SeriesState, eager: SeriesState, p: SeriesParams): void {
  materialise(lazy, p, UTC);
  expect(snapshotSeries(lazy)).toEqual(snapshotSeries(eager));
}

describe('dormant series', () => {
  for (const [name, p] of [['error counts', errorParams], ['action counts', rateParams], ['volumes', volumeParams], ['no profile', flatParams]] as const) {
    it(`${name}: lazy and eager series give the same verdicts, thresholds and state`, () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 400 }), (steps) => {
          const lazy = createSeries(p, 1_000);
          const eager = createSeries(p, 1_000);
          materialise(eager, p, UTC);
          const peers: [PeerSeries, PeerSeries] = [newPeerSeries(), newPeerSeries()];
          const fed = feed(lazy, eager, p, steps, peers);
          sameState(fed.lazy, fed.eager, p);
          expect(peers[0]).toEqual(peers[1]);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('a series silent for three weeks keeps only its count, then judges its first burst exactly like an eager one', () => {
    const lazy = createSeries(errorParams, 0);
    const eager = createSeries(errorParams, 0);
    materialise(eager, errorParams, UTC);
    const weeks3 = (21 * 86_400_000) / errorParams.bucketMs;
    for (let b = 1; b <= weeks3; b++) {
      advance(lazy, errorParams, b, null, UTC);
      advance(eager, errorParams, b, null, UTC);
    }
    expect(lazy.window).toBeNull();
    expect(lazy.profileBase).toBe(-1);
    expect(lazy.closedBuckets).toBe(weeks3);
    const snapshot = snapshotSeries(lazy) as { window: unknown; seasonal: unknown };
    expect(snapshot.window).toBeNull();
    expect(snapshot.seasonal).toBeNull();
    touch(lazy, errorParams, weeks3 + 1, null, UTC);
    touch(eager, errorParams, weeks3 + 1, null, UTC);
    expect(lazy.upperThreshold).toBeGreaterThan(0);
    expect(visible(lazy)).toEqual(visible(eager));
    for (let k = 0; k < 30; k++) {
      lazy.openValue++;
      eager.openValue++;
      expect(crossed(lazy, errorParams)).toBe(crossed(eager, errorParams));
    }
    advance(lazy, errorParams, weeks3 + 2, null, UTC);
    advance(eager, errorParams, weeks3 + 2, null, UTC);
    sameState(lazy, eager, errorParams);
  });
});
