/** The thresholds both slow-ramp rules take (slow-ramp.rate and slow-ramp.volume), checked by the rules schema. */
import { z } from 'zod';
import { positiveInt } from '../../rules/thresholds.js';

export const RampThresholds = z
  .object({
    /** Alarm level of the drift test: z score of the rise's slope (a standard normal when nothing rises). */
    h: z.number().positive(),
    /** Each bucket's standardised residual counts at most this much (one burst cannot pass for a ramp). */
    zCap: z.number().positive(),
    /** The fitted rise must be at least this steep, in log units per bucket (0.02 = about +2% per bucket): a level that sits a little high is not a ramp. */
    minSlope: z.number().min(0),
    /** The rise must have lasted this many buckets (a batch job is a step, not a ramp). */
    minRunBuckets: positiveInt,
    /** Longest rise looked at, in buckets (the drift test's short window). */
    windowBuckets: z.number().int().min(2).max(288),
    /** Rate: ignore buckets whose expected count is below this (too little signal). Volume: unused. */
    minLevel: z.number().min(0),
    /** Noise floor, a standard deviation in log units. Rate: of a bucket's count beyond Poisson. Volume: of one event's size. */
    minDispersion: z.number().positive(),
  })
  .strict()
  .refine((t) => t.minRunBuckets <= t.windowBuckets, { message: 'minRunBuckets must not exceed windowBuckets', path: ['minRunBuckets'] });

export type RampThresholdValues = z.infer<typeof RampThresholds>;
