/**
 * The size of one event, per action and metric: a log-normal fit (EWMA of the log size and of its variance) for
 * each action that an agent (or a role) sends a metric (bytes out, records, tokens) with. One object holds an
 * agent's (or a role's) fits for all its metrics: one action list and one float32 array (memory, issue 10).
 *
 * Why: the single-event guard (series.ts) excuses a bucket's largest event when that event is of an ordinary size.
 * Judged against one fit of every action mixed, a rare heavy-tailed action (a 30 KB attachment on an agent whose
 * bytes out are mostly 800-byte tool calls) lies beyond the mixture's tail although it is ordinary for its own
 * action, and such buckets were the largest source of false volume alerts (issue 11: "heavy-tailed attachments
 * keep alerting"). Per action, an email is compared with emails. An action seen fewer than MIN_SAMPLES times has
 * no fit of its own: the role's fit stands in, else the mixture decides as before. Past MAX_ACTIONS, new actions
 * get no fit (bounded state under an agent that invents action names).
 *
 * Poisoning: a bucket's sizes are held (`noteActionSize`) and taught when the bucket has closed without an alert
 * (`settleActionSizes`): the first pages of a bulk read, which come before its bucket alerts, do not widen the fit
 * that judges the next one. Only one event per bucket is ever excused (the largest), so many ordinary-sized events
 * still add up to a spike.
 */
import { roundSig } from './robust.js';

export const MAX_ACTIONS = 12;
/** Samples before an action's fit is trusted. */
const MIN_SAMPLES = 20;
/** EWMA weight once the fit has 1 / ALPHA samples (before that, the plain running mean). */
const ALPHA = 0.01;
/** The largest ordinary event is the fit's p99.99 (z 3.72 of a normal in log space). */
const TAIL_Z = 3.72;
/** Below this log sd an action's sizes are light-tailed: one of them excuses nothing (series.ts says why). */
const HEAVY_TAILED_LOG_SD = 0.25;
/**
 * Per action and metric in `fits`: log mean, log variance, samples (capped at 1 / ALPHA); then the open bucket's
 * held sizes: their count, sum of logs and sum of squared logs.
 */
const FIT_LENGTH = 6;

export interface ActionSizes {
  actions: string[];
  /** The action last looked up and its index (an event's metrics look up the same action one after another). */
  lastAction: string | null;
  lastIndex: number;
  /** Metrics per action. */
  metrics: number;
  /**
   * FIT_LENGTH numbers per action and metric, at (action x metrics + metric) x FIT_LENGTH; grown by one action at
   * a time (an agent has a handful). Float32: learned values are written through roundSig and read back through
   * it (`learned`), which gives them back exactly; counts are small integers; the held sums need no more than
   * float32's 7 digits.
   */
  fits: Float32Array;
}

/** An action with no trusted fit (ordinaryActionMax). */
export const NO_FIT = -1;

export function createActionSizes(metrics: number): ActionSizes {
  return { actions: [], lastAction: null, lastIndex: -1, metrics, fits: new Float32Array(0) };
}

export function copyActionSizes(sizes: { actions: readonly string[]; metrics: number; fits: ArrayLike<number> }): ActionSizes {
  return { actions: [...sizes.actions], lastAction: null, lastIndex: -1, metrics: sizes.metrics, fits: Float32Array.from(sizes.fits) };
}

/** For a snapshot: the fits as plain numbers (learned values as learned). */
export function actionSizesParts(sizes: ActionSizes): { actions: string[]; metrics: number; fits: number[] } {
  const fits: number[] = [];
  for (let i = 0; i < sizes.fits.length; i++) fits.push(i % FIT_LENGTH < 2 ? learned(sizes.fits, i) : sizes.fits[i]!);
  return { actions: [...sizes.actions], metrics: sizes.metrics, fits };
}

/** A learned value (log mean or variance) as it was learned (see `fits`). */
function learned(fits: Float32Array, at: number): number {
  return roundSig(fits[at]!);
}

function indexOf(sizes: ActionSizes, action: string): number {
  if (action === sizes.lastAction) return sizes.lastIndex;
  const actions = sizes.actions;
  let found = -1;
  for (let i = 0; i < actions.length; i++) {
    if (actions[i] === action) {
      found = i;
      break;
    }
  }
  // Only hits are remembered: a miss may be added a moment later (slotFor).
  if (found >= 0) {
    sizes.lastAction = action;
    sizes.lastIndex = found;
  }
  return found;
}

/** The action's index in `sizes`, added when missing (-1 past MAX_ACTIONS). */
function slotFor(sizes: ActionSizes, action: string): number {
  const i = indexOf(sizes, action);
  if (i >= 0 || sizes.actions.length >= MAX_ACTIONS) return i;
  const added = sizes.actions.push(action) - 1;
  const grown = new Float32Array(sizes.actions.length * sizes.metrics * FIT_LENGTH);
  grown.set(sizes.fits);
  sizes.fits = grown;
  return added;
}

const fitAt = (sizes: ActionSizes, action: number, metric: number) => (action * sizes.metrics + metric) * FIT_LENGTH;

/** Hold one event's size (value > 0) of `metric` until its bucket closes. */
export function noteActionSize(sizes: ActionSizes, metric: number, action: string, value: number): void {
  const i = slotFor(sizes, action);
  if (i < 0) return;
  const at = fitAt(sizes, i, metric);
  const log = Math.log(value);
  sizes.fits[at + 3]! += 1;
  sizes.fits[at + 4]! += log;
  sizes.fits[at + 5]! += log * log;
}

/**
 * The held sizes of `metric` from a closed bucket: taught to these fits (and to the role's when given) when `learn`
 * (the bucket raised no alert), then dropped. n held values teach as n EWMA steps would: weight 1 - (1 - a)^n
 * towards their mean, plus their own spread.
 */
export function settleActionSizes(sizes: ActionSizes, metric: number, learn: boolean, role: ActionSizes | null): void {
  const fits = sizes.fits;
  for (let i = 0; i < sizes.actions.length; i++) {
    const at = fitAt(sizes, i, metric);
    const held = fits[at + 3]!;
    if (held === 0) continue;
    if (learn) {
      const mean = fits[at + 4]! / held;
      const variance = Math.max(0, fits[at + 5]! / held - mean * mean);
      teach(sizes, at, held, mean, variance);
      if (role) {
        const r = slotFor(role, sizes.actions[i]!);
        if (r >= 0) teach(role, fitAt(role, r, metric), held, mean, variance);
      }
    }
    fits[at + 3] = 0;
    fits[at + 4] = 0;
    fits[at + 5] = 0;
  }
}

function teach(sizes: ActionSizes, at: number, held: number, mean: number, variance: number): void {
  const fits = sizes.fits;
  const samples = fits[at + 2]!;
  // The first samples are averaged plainly (weight 1 / (n + 1) each), later ones with ALPHA.
  const plain = Math.max(0, Math.min(held, 1 / ALPHA - samples));
  const keep = (samples / (samples + plain)) * (1 - ALPHA) ** (held - plain);
  const weight = 1 - keep;
  const oldMean = learned(fits, at);
  const delta = mean - oldMean;
  fits[at] = roundSig(oldMean + weight * delta);
  fits[at + 1] = roundSig((1 - weight) * (learned(fits, at + 1) + weight * delta * delta) + weight * variance);
  fits[at + 2] = Math.min(1 / ALPHA, samples + held);
}

/**
 * The largest ordinary size of one event of `action` on `metric`: NO_FIT when it has no trusted fit, 0 when its
 * sizes are light-tailed (one of them excuses nothing).
 */
export function ordinaryActionMax(sizes: ActionSizes, metric: number, action: string): number {
  const i = indexOf(sizes, action);
  if (i < 0) return NO_FIT;
  const at = fitAt(sizes, i, metric);
  const fits = sizes.fits;
  if (fits[at + 2]! < MIN_SAMPLES) return NO_FIT;
  const sd = Math.sqrt(learned(fits, at + 1));
  return sd < HEAVY_TAILED_LOG_SD ? 0 : Math.exp(learned(fits, at) + TAIL_Z * sd);
}
