/**
 * Exponentially weighted mean and variance, the one EWMA update every
 * baseline uses. The first samples are averaged plainly (weight 1/(n+1))
 * until the EWMA weight takes over, so a young estimate is not dominated by
 * its prior of zero.
 */

/** Weight of the next sample: max(alpha, 1 / (samples + 1)). */
export function ewmaWeight(alpha: number, samples: number): number {
  const plain = 1 / (samples + 1);
  return plain > alpha ? plain : alpha;
}

/** New mean after a sample with weight `weight`. */
export function ewmaMean(mean: number, value: number, weight: number): number {
  return mean + weight * (value - mean);
}

/** New variance (West's EW variance) for the same step; `mean` is the mean before the step. */
export function ewmaVariance(variance: number, mean: number, value: number, weight: number): number {
  const d = value - mean;
  return (1 - weight) * (variance + weight * d * d);
}
