/**
 * Accumulation over hours: a series' total over the last hours against
 * what its own baseline expected over the same buckets (issue 11, "Staying
 * under per-bucket floors"). Egress at twice the usual level for six hours,
 * failed logins one under the floor all afternoon: no bucket crosses a
 * threshold and the CUSUM of shift.ts (one hour at most, reset by any silent
 * bucket) gives up, but the six-hour total is far above what the same hours
 * usually see.
 *
 * How it judges, and why:
 * - Buckets are summed into hour blocks (value and expectation side by side)
 *   in a ring of the longest horizon; every closed bucket counts, the silent
 *   ones too (value 0 against their expectation), so a total cannot be split
 *   across quiet buckets to hide.
 * - Volumes are totalled in ordinary events: each event counts at most a
 *   typical size (its size model's mean + 0.5 sd in log space, series.ts), and
 *   the expectation is scaled by the share of the volume that ordinary events
 *   carry. A few large transfers are the spike rule's (heavy-tailed sizes make
 *   a cluster of them ordinary now and then); many ordinary ones adding up
 *   over hours are this one's.
 * - The expectation of a bucket is the mean of its own hour in the series'
 *   profile (or the window mean without one): totals add means, not medians
 *   or envelopes, and the profile follows the day (a busy afternoon is not an
 *   accumulation).
 * - A horizon of k hours is judged on its excess in the total's own
 *   noise, quasi-Poisson: (total - expected) / sqrt(expected + damping), as
 *   a total's variance grows with its expectation. The damping is an hour of
 *   the series' usual level (its long-run scale), and at least the rule's
 *   absolute floor: a quiet night whose expectation is near zero is not
 *   "40 x usual" because of one ordinary task.
 * - That residual is standardised by its own running mean and variance per
 *   horizon, learned from the series' history (an autocorrelated, bursty
 *   series needs a larger excess than a regular one: no independence
 *   assumed). What a judgement teaches is capped at mean + CAP_Z sds
 *   (poisoning: an accumulation that is going on does not teach itself). No
 *   tail calibration (tail.ts): judgements of one window overlap, so a tail
 *   learned from them fitted an accumulation under way within the hour.
 * - It fires only when the total is also at least `minRatio` x expected,
 *   the excess at least the damping, and at least 60 % of the window's
 *   buckets were above their expectation: an accumulation is sustained,
 *   bucket after bucket, where an ordinary busy spell is a few heavy buckets
 *   among normal ones (on the labelled fleet this halved the false alerts at
 *   the same recall).
 *   After firing, every horizon rests for three hours and then until its
 *   total is back to ordinary (one alert per accumulation; a lasting new
 *   normal costs one alert while the profile learns it within the guard's
 *   band).
 * - Only buckets judged on the series' own baseline count; a series that is
 *   warming up, or judged on its peers, starts its blocks again.
 */
import { ewmaMean, ewmaVariance, ewmaWeight } from './ewma.js';
import { roundSig } from './robust.js';

export interface AccumulationParams {
  /** Buckets per block (an hour). */
  blockBuckets: number;
  /** Horizons total, in blocks, ascending (e.g. [1, 6]). */
  horizonBlocks: readonly number[];
  /** The rule's z for the standardised residual. */
  z: number;
  /** Total at least this multiple of the expected total (both damped). */
  minRatio: number;
  /** Absolute floor of the damping (the rule's minValue or spread floor, per bucket; scaled by sqrt(buckets)). */
  floorPerBucket: number;
  /**
   * Sparse counts (failed logins, denials), whose residual is in Poisson units: until its own history is trusted,
   * a horizon is judged against PRIOR_SD. Volumes (bytes, records) have no natural unit: only their history.
   */
  poissonPrior: boolean;
  /** Also give the role's crew test a reading after every bucket (crewReading; the records series, volumeSpike.ts). */
  crew: boolean;
}

export interface HorizonStats {
  /** Running mean and variance of the residual, and how many judgements they hold (capped). */
  mean: number;
  variance: number;
  samples: number;
  /** Judgements left before this horizon may fire again (counting down), SUBSIDING (-1: until its total is ordinary again), or 0: armed. */
  rest: number;
}

export interface AccumulationTracker {
  /** Completed blocks, ring: totals of values and of expectations. */
  blockValues: number[];
  blockExpected: number[];
  /** Buckets of each completed block whose ordinary part was above its expectation. */
  blockAbove: number[];
  /** Next ring slot to write, and completed blocks held (up to the ring's length). */
  head: number;
  completedBlocks: number;
  /** The open block: its index (bucket / blockBuckets), the totals so far and the buckets counted in it. */
  openBlock: number;
  openValue: number;
  openExpected: number;
  openAbove: number;
  openBuckets: number;
  /**
   * Slow EWMAs, per bucket, of the value and of its ordinary part (each event capped at an ordinary size): the share
   * of the series' volume that ordinary events carry, which scales the expectation of the ordinary totals.
   */
  valueLevel: number;
  ordinaryLevel: number;
  horizons: HorizonStats[];
  /** The role's crew test (crew.ts): the last hour or two of this series, standardised by its own history. */
  crew: HorizonStats;
  /** The crew reading of the last bucket judged (not snapshotted: read only right after that bucket's close). */
  lastCrew?: CrewReading | null;
}

/** What one agent's series tells its role's crew test after a bucket (crewReading). */
export interface CrewReading {
  bucket: number;
  /** The open block and the completed one before it: buckets summed, their total and expectation. */
  buckets: number;
  total: number;
  expectedTotal: number;
  /** The standardised residual of that total, as a horizon's. */
  z: number;
}

export interface AccumulationVerdict {
  /** The horizon in hours (blocks) and buckets actually summed (the open block may be partial). */
  horizonBlocks: number;
  buckets: number;
  total: number;
  expectedTotal: number;
  ratio: number;
  z: number;
  score: number;
}

/**
 * Share of the window's buckets that must be above their expectation: an accumulation is sustained (paced under the
 * limit bucket after bucket), where an ordinary busy spell is a few heavy buckets among normal ones.
 */
const SUSTAINED_SHARE = 0.6;
/**
 * Blocks (hours) every horizon rests after one fires; then it waits (`SUBSIDING`) until its standardised total is
 * below REARM_Z, and is armed again. It rested a full day before (24 blocks): one accumulation that tripped it, a
 * decoy or an ordinary busy morning, then left the series' totals unjudged until the next day, time enough to pace
 * an exfiltration under every bucket's threshold. Waiting for the total to subside keeps one alert per accumulation.
 */
const REST_BLOCKS = 3;
const SUBSIDING = -1;
/** The standardised total (the horizon's z) below which a horizon that fired is back to ordinary. */
const REARM_Z = 1;
/** Weight of the ordinary-share levels, per bucket (about a week). */
const LEVEL_ALPHA = 1 / 2016;
/**
 * Judgements (closes of buckets with activity) before a horizon's statistics are trusted: a day of busy
 * five-minute buckets, or several days of a sparse series (a failed login now and then). Half of it (144) raised
 * the labelled fleet's false alerts by a tenth.
 */
const MIN_SAMPLES = 288;
/** Learning weight of the running statistics: about a week of buckets. */
const STATS_ALPHA = 1 / 2016;
/** Learned residuals are capped at mean + CAP_Z sds. */
const CAP_Z = 3;
/** The residual's sd is at least this (Poisson noise: a count's total is never more regular than that). */
const MIN_SD = 1;
/**
 * A count series' residual sd before its own history is trusted (mean 0): over-dispersion up to 9x Poisson, as
 * chained tasks and retries make it. A sparse series (a failed login now and then) may take weeks to reach
 * MIN_SAMPLES judgements; until then z 5 asks for a total 15 Poisson sds above its expectation, sustained.
 */
const PRIOR_SD = 3;

function createHorizon(): HorizonStats {
  return { mean: 0, variance: 0, samples: 0, rest: 0 };
}

export function createAccumulation(p: AccumulationParams): AccumulationTracker {
  const blocks = p.horizonBlocks[p.horizonBlocks.length - 1]!;
  const zeros = () => new Array<number>(blocks).fill(0);
  return { blockValues: zeros(), blockExpected: zeros(), blockAbove: zeros(), head: 0, completedBlocks: 0, openBlock: -1, openValue: 0, openExpected: 0, openAbove: 0, openBuckets: 0, valueLevel: 0, ordinaryLevel: 0, horizons: p.horizonBlocks.map(createHorizon), crew: createHorizon() };
}

/** A deep copy (snapshots), without the transient crew reading; a tracker from before the crew test gets a fresh one. */
export function copyAccumulation(t: AccumulationTracker): AccumulationTracker {
  const { lastCrew: _transient, ...kept } = t;
  return { ...kept, blockValues: [...t.blockValues], blockExpected: [...t.blockExpected], blockAbove: [...t.blockAbove], horizons: t.horizons.map((h) => ({ ...h })), crew: t.crew ? { ...t.crew } : createHorizon() };
}

/** Forget the blocks (the series was not judged on its own baseline, or a gap longer than the fill). Statistics stay. */
export function resetAccumulation(t: AccumulationTracker): void {
  t.blockValues.fill(0);
  t.blockExpected.fill(0);
  t.blockAbove.fill(0);
  t.head = 0;
  t.completedBlocks = 0;
  t.openBlock = -1;
  t.openValue = t.openExpected = t.openAbove = t.openBuckets = 0;
}

/** `ordinary` for a bucket that counts as its expectation. */
export const AS_EXPECTED = null;

/**
 * Count one closed bucket into its block: its ordinary part (`ordinary`: each event capped at an ordinary size; the
 * value itself for counts) and the expectation of it (the bucket's expected value x the ordinary share).
 */
export function addBucket(t: AccumulationTracker, p: AccumulationParams, bucket: number, value: number, ordinary: number | typeof AS_EXPECTED, expected: number): void {
  const share = t.valueLevel > 0 ? Math.min(1, t.ordinaryLevel / t.valueLevel) : 1;
  // A bucket reported already (the spike rule alerted on it) counts as exactly its expectation, and teaches nothing.
  if (ordinary === AS_EXPECTED) ordinary = expected * share;
  else {
    t.valueLevel = roundSig(t.valueLevel + LEVEL_ALPHA * (value - t.valueLevel));
    t.ordinaryLevel = roundSig(t.ordinaryLevel + LEVEL_ALPHA * (ordinary - t.ordinaryLevel));
  }
  const block = Math.floor(bucket / p.blockBuckets);
  if (block !== t.openBlock) {
    if (t.openBlock >= 0) {
      // Blocks skipped entirely were not seen: start again rather than guess them.
      if (block !== t.openBlock + 1) resetAccumulation(t);
      else {
        t.blockValues[t.head] = roundSig(t.openValue);
        t.blockExpected[t.head] = roundSig(t.openExpected);
        t.blockAbove[t.head] = t.openAbove;
        t.head = (t.head + 1) % t.blockValues.length;
        if (t.completedBlocks < t.blockValues.length) t.completedBlocks++;
      }
    }
    t.openBlock = block;
    t.openValue = t.openExpected = t.openAbove = t.openBuckets = 0;
  }
  t.openValue = roundSig(t.openValue + ordinary);
  t.openExpected = roundSig(t.openExpected + expected * share);
  if (ordinary > expected * share) t.openAbove++;
  t.openBuckets++;
}

/**
 * Judge every horizon after the bucket just added (its value is in the open block). `scalePerBucket` is the
 * series' usual level per bucket. Returns the longest horizon that fires (the strongest evidence), or null.
 */
export function judgeAccumulation(t: AccumulationTracker, p: AccumulationParams, scalePerBucket: number): AccumulationVerdict | null {
  let verdict: AccumulationVerdict | null = null;
  const ring = t.blockValues.length;
  for (let i = 0; i < p.horizonBlocks.length; i++) {
    const blocks = p.horizonBlocks[i]!;
    const stats = t.horizons[i]!;
    if (t.completedBlocks < blocks) continue;
    // The open block (partial) and the `blocks` completed ones before it: between k and k + 1 hours.
    let total = t.openValue;
    let expectedTotal = t.openExpected;
    let above = t.openAbove;
    for (let k = 1; k <= blocks; k++) {
      const at = (t.head - k + ring) % ring;
      total += t.blockValues[at]!;
      expectedTotal += t.blockExpected[at]!;
      above += t.blockAbove[at]!;
    }
    const buckets = blocks * p.blockBuckets + t.openBuckets;
    const damping = Math.max(scalePerBucket * p.blockBuckets, p.floorPerBucket * Math.sqrt(buckets));
    if (!(damping > 0)) continue;
    // Quasi-Poisson residual: a total's variance grows with its expectation (the series' dispersion, learned below).
    const residual = (total - expectedTotal) / Math.sqrt(expectedTotal + damping);
    const trusted = stats.samples >= MIN_SAMPLES;
    const sd = trusted ? Math.max(Math.sqrt(stats.variance), MIN_SD) : PRIOR_SD;
    const z = (residual - (trusted ? stats.mean : 0)) / sd;
    const sustained = above >= SUSTAINED_SHARE * buckets;
    const fires = (trusted || p.poissonPrior) && stats.rest === 0 && sustained && z >= p.z && total >= p.minRatio * expectedTotal && total - expectedTotal >= damping;
    if (stats.rest > 1) stats.rest--;
    else if (stats.rest === 1) stats.rest = SUBSIDING;
    else if (stats.rest === SUBSIDING && z < REARM_Z) stats.rest = 0;
    if (fires) {
      // Every horizon rests, then waits until its total is back to ordinary: one alert per accumulation, and a
      // lasting new normal costs one alert while the profile learns it (not one per horizon per few hours).
      for (const h of t.horizons) h.rest = REST_BLOCKS * p.blockBuckets;
      verdict = { horizonBlocks: blocks, buckets, total, expectedTotal, ratio: total / Math.max(expectedTotal, Number.MIN_VALUE), z, score: Math.min(0.9, 0.6 + (0.3 * (z - p.z)) / p.z) };
    }
    learnResidual(stats, residual, trusted, sd);
  }
  return verdict;
}

/** Learn what the series does, capped: an accumulation under way teaches at most CAP_Z sds. */
function learnResidual(stats: HorizonStats, residual: number, trusted: boolean, sd: number): void {
  const learned = trusted ? Math.min(residual, stats.mean + CAP_Z * sd) : residual;
  const w = ewmaWeight(STATS_ALPHA, stats.samples);
  const before = stats.mean;
  stats.mean = roundSig(ewmaMean(before, learned, w));
  stats.variance = roundSig(ewmaVariance(stats.variance, before, learned, w));
  if (stats.samples < 1 / STATS_ALPHA) stats.samples++;
}

/**
 * The last hour or two (the open block and the completed one before it) of the series, standardised by the history
 * of the same reading: what the agent tells its role's crew test (crew.ts) after a bucket. A crew splits one pull
 * across agents so that each one's share is too small and too short for the agent's own horizons (hours, and
 * sustained); the crew test asks instead whether several agents of the role are each well above their own usual at
 * the same time. Learned capped like a horizon; null until the history is trusted or without a completed block.
 */
export function crewReading(t: AccumulationTracker, p: AccumulationParams, bucket: number, scalePerBucket: number): CrewReading | null {
  t.lastCrew = null;
  if (t.completedBlocks < 1) return null;
  const previous = (t.head - 1 + t.blockValues.length) % t.blockValues.length;
  const total = t.openValue + t.blockValues[previous]!;
  const expectedTotal = t.openExpected + t.blockExpected[previous]!;
  const buckets = p.blockBuckets + t.openBuckets;
  const damping = Math.max(scalePerBucket * p.blockBuckets, p.floorPerBucket * Math.sqrt(buckets));
  if (!(damping > 0)) return null;
  const stats = t.crew;
  // Quasi-Poisson, as the horizons. Adding what these hours usually vary by (the profile's variance, so that a
  // nightly job of varying size is no member) was tried: fewer crew alerts outside incidents, but recall fell on
  // three of four seeds (detection README, "Crews").
  const residual = (total - expectedTotal) / Math.sqrt(expectedTotal + damping);
  const trusted = stats.samples >= MIN_SAMPLES;
  const sd = trusted ? Math.max(Math.sqrt(stats.variance), MIN_SD) : PRIOR_SD;
  const z = (residual - (trusted ? stats.mean : 0)) / sd;
  learnResidual(stats, residual, trusted, sd);
  if (!trusted) return null;
  t.lastCrew = { bucket, buckets, total, expectedTotal, z };
  return t.lastCrew;
}
