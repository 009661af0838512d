/**
 * Threshold schemas and zod building blocks that more than one detector uses.
 * A detector's own thresholds schema lives in its own file, beside its
 * defaults (detectors/*.ts); only what is shared lives here, so this file
 * depends on nothing in the detection folder.
 */
import { z } from 'zod';

export const positiveInt = z.number().int().positive();
/** A share or a score: 0..1. */
export const unit = z.number().min(0).max(1);

/** Thresholds for the bucketed spike rules (rate-spike, volume-spike per bucket, error-burst). */
export const SpikeThresholds = z
  .object({
    /** Which side alerts: up (a spike, judged while the bucket fills), down (a drop, judged when it closes) or both. */
    direction: z.enum(['up', 'down', 'both']).default('up'),
    /** Alert when the bucket is this many calibrated spreads past the expected value... */
    z: z.number().positive(),
    /** ...and at least this multiple of it... */
    minRatio: z.number().min(1),
    /** ...and (optional absolute floor, 0 = off) at least this value; a drop is only judged from an expectation of at least this. */
    minValue: z.number().min(0).default(0),
    /** Alert at or above this value whatever the baseline says, warm-up included (null: never). */
    alwaysAt: z.number().positive().nullable(),
    /** z against the role's peer baseline while the agent warms up (null: no peer comparison). */
    peerZ: z.number().positive().nullable(),
  })
  .strict();

export type SpikeThresholdValues = z.infer<typeof SpikeThresholds>;

/** Default spike thresholds in the order of the schema's keys (defaults read as a table). */
export const spikeDefaults = (direction: SpikeThresholdValues['direction'], z: number, minRatio: number, minValue: number, alwaysAt: number | null, peerZ: number | null): SpikeThresholdValues => ({ direction, z, minRatio, minValue, alwaysAt, peerZ });

/** A case-insensitive regular expression's source, refused with the engine's message when it does not compile. */
export const regexSource = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, 'i');
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a valid regular expression: ${(err as Error).message}` });
    }
  });
