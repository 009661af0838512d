/**
 * Calibration by the series' own tail: streaming peaks-over-threshold with an
 * exponential tail (after SPOT, Siffer et al., KDD 2017). For a stream of
 * standardised residuals z it tracks the 90th percentile u (stochastic
 * quantile tracking) and the mean excess beta of the values above it; the
 * tail is then P(Z > u + t) ~ 0.1 exp(-t / beta), so the z that a series
 * reaches by chance with probability p is u + beta ln(0.1 / p).
 *
 * Why: the baseline's spread is a model; on a bursty or heavy-tailed series
 * it is too narrow and "6 spreads" happens daily, on a well-modelled one it
 * almost never does. Alerting at max(rule z, the series' own p-quantile)
 * makes the same threshold mean about the same surprise on every series.
 * The prior is a standard normal's (u = 1.28, beta = 0.475): on a Gaussian
 * series the rule's z binds. The caller caps what it learns at the alerting z
 * (poisoning resistance: one anomaly barely moves the tail).
 */

export interface TailModel {
  /** Tracked 90th percentile of the residuals. */
  quantile: number;
  /** Mean excess of the residuals above it. */
  meanExcess: number;
}

const TAIL_SHARE = 0.1;
/** Quantile tracking step, in residual units. */
const QUANTILE_STEP = 0.05;
/** EWMA weight of the mean excess, per exceedance. */
const EXCESS_ALPHA = 0.05;
/** A residual counts at most this much (one enormous bucket cannot widen the tail for weeks). */
const RESIDUAL_CLIP = 50;

export function createTail(): TailModel {
  return { quantile: 1.2816, meanExcess: 0.4753 };
}

export function learnTail(t: TailModel, residual: number): void {
  const z = residual > RESIDUAL_CLIP ? RESIDUAL_CLIP : residual;
  if (z > t.quantile) {
    t.meanExcess += EXCESS_ALPHA * (z - t.quantile - t.meanExcess);
    t.quantile += QUANTILE_STEP * (1 - TAIL_SHARE);
  } else t.quantile -= QUANTILE_STEP * TAIL_SHARE;
  // Round like every learned float (snapshots stay short and a JSON round trip changes nothing).
  t.quantile = Math.round(t.quantile * 1e4) / 1e4;
  t.meanExcess = Math.round(t.meanExcess * 1e4) / 1e4;
}

/** The residual this series exceeds by chance with probability `probability` per observation. */
export function tailThreshold(t: TailModel, probability: number): number {
  return t.quantile + Math.max(t.meanExcess, 0) * Math.log(TAIL_SHARE / probability);
}
