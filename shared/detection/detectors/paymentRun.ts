/**
 * Payment runs (volume-spike.payment-run): several payments within hours,
 * each above the agent's usual size but none large enough for
 * volume-spike.payment alone (issue 11: "twelve payments of 4x the median
 * within two hours"). Over-delegation abuse that splits one large transfer
 * into many ordinary-looking ones shows here.
 *
 * What it weighs, and why:
 * - A payment's weight is the money it paid beyond `excessOver` x the agent's
 *   median payment, in median payments, with each payment counted at most
 *   `capRatio` x the median: many payments above the usual add up, where one
 *   very large payment is the payment rule's and cannot make a run alone.
 * - The run's weight is the sum of its payments' weights, each decayed with a
 *   half-life of `halfLifeMinutes` of event time: a run is what recent
 *   payments paid beyond the usual. A busy day of ordinary payments weighs
 *   nothing (none is above `excessOver` x the median); the occasional larger
 *   payment fades before the next.
 * - It fires when the weight reaches `minExcessPayments` median payments and
 *   the run's excess in money reaches `minAmount`, then rests `restHours`
 *   (one alert per run; a lasting rise in payment sizes is learned by the
 *   payment ring meanwhile).
 * - A payment that weighs in a run is held out of the median's ring while the
 *   run may still fire (poisoning): each one above the median moves the median
 *   up, and on seed 42 a run of eleven payments raised it 1,380 -> 1,697 before
 *   it could fire, which kept the weight at 8.8 of 10. Held payments are
 *   learned when they fade out of the run without firing it (`releaseFaded`:
 *   ordinary after all); those of a run that fired are never learned (it
 *   alerted). volume-spike.payment judges each payment against the ring and
 *   the held payments together (each is ordinary alone; without them the
 *   ring's upper tail went missing while runs built, and on seed 97531 its
 *   false alerts went 1 -> 6). Holding only once a run weighed half its
 *   threshold cost less (on 97531 one false alert more than before instead
 *   of four) but caught fewer runs (seed 42: 0.65 against 0.85).
 * Pure: no I/O; the caller supplies the median and the event time.
 */
import { z } from 'zod';
import { positiveInt } from '../rules/thresholds.js';

export const PaymentRunThresholds = z
  .object({
    /** A payment counts for the money it paid beyond this multiple of the median payment. */
    excessOver: z.number().min(1),
    /** Each payment counts at most this multiple of the median (a single huge payment is volume-spike.payment's). */
    capRatio: z.number().min(1),
    /** Half-life of a payment's weight, in minutes of event time. */
    halfLifeMinutes: z.number().positive(),
    /** Fire when the run's decayed weight reaches this many median payments. */
    minExcessPayments: z.number().positive(),
    /** And the run's excess in money (summed, undecayed) reaches this amount. */
    minAmount: z.number().min(0),
    /** After firing, no run alert for this long. */
    restHours: z.number().min(0),
    /** Payments kept in a run at most (the oldest go first; bounds the state). */
    maxPayments: positiveInt,
  })
  .strict()
  .refine((t) => t.capRatio > t.excessOver, { message: 'capRatio must be above excessOver (else no payment can weigh anything)' });

export type PaymentRunRule = z.infer<typeof PaymentRunThresholds>;

/** One payment of a run. */
export interface RunPayment {
  /** Event time (ms). */
  at: number;
  amount: number;
  /** Weight when paid, in median payments (before decay). */
  weight: number;
  /** Money beyond excessOver x the median (capped as the weight is). */
  excess: number;
  eventId: string;
  /** The payment's target ('' when it named none). */
  payee: string;
  /** Not learned by the median's ring yet (the run holds it; false: learned when it came, in snapshots from before runs held). */
  held: boolean;
}

export interface PaymentRunState {
  /** Payments that weighed something, oldest first; empty when no run is going on. */
  payments: RunPayment[];
  /** Event time before which the rule does not fire again (0: not resting). */
  restUntil: number;
}

export interface PaymentRunVerdict {
  /** Decayed weight, in median payments. */
  weight: number;
  /** Summed excess money of the run's payments. */
  excess: number;
  payments: RunPayment[];
}

/** A payment older than this many half-lives weighs under 1/16 of what it did: it leaves the run. */
const FORGET_HALF_LIVES = 4;

export function createPaymentRun(): PaymentRunState {
  return { payments: [], restUntil: 0 };
}

/**
 * Adds one successful payment and judges the run. `median` is the agent's median payment before this one
 * (its baseline must be trusted by the caller). Returns a verdict when the run fires.
 */
/**
 * Takes out of the run the payments that faded out of it by `now` (FORGET_HALF_LIVES half-lives old), oldest
 * first, and returns those it held: the run they were part of did not fire, so they were ordinary after all and
 * the caller learns them.
 */
export function releaseFaded(st: PaymentRunState, rule: PaymentRunRule, now: number): RunPayment[] {
  const horizonMs = FORGET_HALF_LIVES * rule.halfLifeMinutes * 60_000;
  let faded = 0;
  while (faded < st.payments.length && now - st.payments[faded]!.at >= horizonMs) faded++;
  return faded === 0 ? [] : st.payments.splice(0, faded).filter((p) => p.held);
}

/**
 * Adds one successful payment and judges the run (after `releaseFaded`). `median` is the agent's median payment
 * before this one (its baseline must be trusted by the caller). Returns `held` when the payment joined the run
 * without firing it (the caller does not learn it yet), or the verdict when the run fires (its held payments, this
 * one included, leave the state unlearned).
 */
export function observePayment(st: PaymentRunState, rule: PaymentRunRule, payment: { at: number; amount: number; eventId: string; payee: string }, median: number): PaymentRunVerdict | 'held' | null {
  const halfLifeMs = rule.halfLifeMinutes * 60_000;
  const decay = (p: RunPayment) => 0.5 ** (Math.max(0, payment.at - p.at) / halfLifeMs);
  if (payment.at < st.restUntil || !(median > 0)) return null;
  const counted = Math.min(payment.amount, rule.capRatio * median);
  const excess = counted - rule.excessOver * median;
  if (excess <= 0) return null;
  st.payments.push({ at: payment.at, amount: payment.amount, weight: excess / median, excess, eventId: payment.eventId, payee: payment.payee, held: true });
  // The oldest payment of an over-long run leaves it unlearned: it weighed in a run that is still going on.
  if (st.payments.length > rule.maxPayments) st.payments.shift();
  let weight = 0;
  let excessSum = 0;
  for (const p of st.payments) {
    weight += p.weight * decay(p);
    excessSum += p.excess;
  }
  if (weight < rule.minExcessPayments || excessSum < rule.minAmount) return 'held';
  const verdict = { weight, excess: excessSum, payments: st.payments };
  st.payments = [];
  st.restUntil = payment.at + rule.restHours * 3_600_000;
  return verdict;
}

/** The run's payees, most paid first, at most `limit` named ("a.example 3, b.example 1"). */
export function payeesOf(payments: readonly RunPayment[], limit = 3): string {
  const paid = new Map<string, number>();
  for (const p of payments) paid.set(p.payee || '(none)', (paid.get(p.payee || '(none)') ?? 0) + 1);
  const ranked = [...paid].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const named = ranked.slice(0, limit).map(([payee, n]) => `${payee} ${n}`);
  return ranked.length > limit ? `${named.join(', ')} and ${ranked.length - limit} more` : named.join(', ');
}
