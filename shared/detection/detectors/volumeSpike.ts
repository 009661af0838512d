/**
 * Volume spike: bytes out, records and tokens summed per bucket (same
 * baseline as the rate detector, peer profile while the agent warms up),
 * and payment amounts judged one payment at a time against the agent's last
 * payments in log space (payments are too rare for per-bucket sums).
 * A payment that alerts is not learned; others are learned capped. Runs of
 * payments above the usual size, none alarming alone, are paymentRun.ts's.
 */
import { addValue, advance, createSeries, crossed, touch, type SeriesParams, type SeriesState } from '../baseline/series.js';
import { restoreSeries, snapshotSeries } from '../baseline/seriesCodec.js';
import { createArena } from '../baseline/arena.js';
import { actionSizesParts, copyActionSizes, createActionSizes, type ActionSizes } from '../baseline/actionSizes.js';
import { MAD_TO_STD, insertSorted, madSorted, medianSorted, removeSorted, roundSig, scoreAgainst } from '../baseline/robust.js';
import type { Rules } from '../rules/schema.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { z } from 'zod';
import { SpikeThresholds, positiveInt, spikeDefaults } from '../rules/thresholds.js';
import { dropFinding, enabledRule, spikeFinding, spikeParams } from './common.js';
import { defineDetector, rule } from './define.js';
import { getRule } from '../rules/lookup.js';
import { reportCrew, roleAccumulationRule } from './roleAccumulation.js';
import { PaymentRunThresholds, createPaymentRun, observePayment, payeesOf, releaseFaded, type PaymentRunState, type PaymentRunVerdict } from './paymentRun.js';

export interface VolumeState {
  bytesOut: SeriesState;
  records: SeriesState;
  tokens: SeriesState;
  /** Recent payments: ln(amount) ring (physical order), head, sorted copy (derived). */
  pay: number[];
  payHead: number;
  paySorted: number[];
  /** Payments above the usual size in the last hours (paymentRun.ts); null until the agent's first one. */
  payRun: PaymentRunState | null;
  /** The size of one event per action, for the three series' single-event guards (actionSizes.ts; metric = METRICS index). */
  actionSizes: ActionSizes;
}

type Metric = 'bytesOut' | 'records' | 'tokens';

interface MetricSpec {
  metric: Metric;
  ruleId: 'volume-spike.bytes-out' | 'volume-spike.records' | 'volume-spike.tokens';
  what: string;
  floor: number;
  /**
   * Read by the role's crew test (volume-spike.role-accumulation): records only. Bytes out of the agents of a role
   * rise together in ordinary traffic (eval seed 42: 8 of the 11 crew alerts at z 3 outside any incident were bytes
   * out, research agents in the same hours), which breaks the test's premise that members are independent.
   */
  crew: boolean;
}

const METRICS: MetricSpec[] = [
  { metric: 'bytesOut', ruleId: 'volume-spike.bytes-out', what: 'bytes out', floor: 1024, crew: false },
  { metric: 'records', ruleId: 'volume-spike.records', what: 'records', floor: 1, crew: true },
  { metric: 'tokens', ruleId: 'volume-spike.tokens', what: 'tokens', floor: 100, crew: false },
];

/** The role's per-action sizes (PeerGroups.actionSizes), one entry for the three metrics. */
const ROLE_SIZES_KEY = 'volume';
const newVolumeSizes = (): ActionSizes => createActionSizes(METRICS.length);

/** Point each series' single-event guard at the state's shared per-action sizes, as its metric. */
function linkSizes(st: VolumeState): VolumeState {
  METRICS.forEach((m, metric) => {
    const single = st[m.metric].single!;
    single.sizes = st.actionSizes;
    single.sizesMetric = metric;
  });
  return st;
}

/** Spread floor in ln(amount): a payment within ~30% of the usual is never unusual by size alone. */
const LOG_SPREAD_FLOOR = 0.25;

export const PaymentThresholds = z
  .object({
    /** Robust z of log(amount) against the agent's last payments. */
    z: z.number().positive(),
    /** And at least this multiple of the median payment. */
    minRatio: z.number().min(1),
    /** Never alert below this amount. */
    minAmount: z.number().min(0),
    /** Payments needed before the agent's own baseline is trusted. */
    minSamples: positiveInt,
    /** How many recent payments form the baseline. */
    windowPayments: positiveInt,
  })
  .strict();

/**
 * Absolute per-bucket ceilings (alwaysAt): alert whatever the baseline says, so the first agent of a new role
 * (no own history, no peer profile) cannot move any volume unseen. Generous on purpose: the largest ordinary
 * 5-minute buckets of the scenario fleets (seeds 42 and 8191, benign cases included) are ~16,000 records,
 * ~2.3 MB out and ~67,000 tokens; these sit 4x, 10x and 7x above.
 */
const ALWAYS_AT = { records: 60_000, bytesOut: 25_000_000, tokens: 500_000 } as const;

export const volumeSpike = defineDetector({
  name: 'volume-spike',
  acceptsUnverified: false,
  rules: {
    'volume-spike.bytes-out': rule(SpikeThresholds, {
      description: 'Bytes sent out in a bucket far above normal for the agent: possible exfiltration.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM02', 'atlas:AML.T0025', 'mitre:T1041', 'mitre:T1567'],
      thresholds: spikeDefaults('both', 6, 8, 0, ALWAYS_AT.bytesOut, 6),
    }),
    'volume-spike.records': rule(SpikeThresholds, {
      description: 'Records read or written in a bucket far above normal for the agent: possible bulk data access.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM02', 'atlas:AML.T0057', 'mitre:T1213', 'mitre:T1530'],
      thresholds: spikeDefaults('both', 6, 8, 0, ALWAYS_AT.records, 6),
    }),
    'volume-spike.tokens': rule(SpikeThresholds, {
      description: 'Model tokens consumed in a bucket far above normal for the agent: runaway loop or cost harvesting.',
      severity: 'MEDIUM',
      tags: ['owasp-llm:LLM10', 'atlas:AML.T0034', 'atlas:AML.T0029'],
      thresholds: spikeDefaults('both', 6, 8, 0, ALWAYS_AT.tokens, 6),
    }),
    'volume-spike.payment': rule(PaymentThresholds, {
      description: "A payment far larger than the agent's usual payments.",
      severity: 'CRITICAL',
      tags: ['owasp-llm:LLM06', 'atlas:AML.T0048', 'mitre:T1657'],
      thresholds: { z: 4, minRatio: 5, minAmount: 1_000, minSamples: 10, windowPayments: 50 },
    }),
    'volume-spike.payment-run': rule(PaymentRunThresholds, {
      description: "Several payments within hours, each above the agent's usual size, that together paid far more than usual: one large transfer split into ordinary-looking ones.",
      severity: 'HIGH',
      tags: ['owasp-llm:LLM06', 'atlas:AML.T0048', 'mitre:T1657'],
      thresholds: { excessOver: 1.5, capRatio: 8, halfLifeMinutes: 60, minExcessPayments: 10, minAmount: 1_000, restHours: 24, maxPayments: 16 },
    }),
    'volume-spike.role-accumulation': roleAccumulationRule,
  },
  create: createVolumeSpikeDetector,
});

export function createVolumeSpikeDetector(rules: Rules): Detector<VolumeState> {
  const crewRule = enabledRule(rules, 'volume-spike.role-accumulation');
  const specs = METRICS.map((m) => ({ ...m, rule: enabledRule(rules, m.ruleId), p: spikeParams(rules, m.ruleId, { poisson: false, absSpreadFloor: m.floor, singleEventGuard: true, floorsByDispersion: true, accumulation: true, crew: crewRule !== null && m.crew }), peerKey: `vol:${m.metric}` }));
  const payRule = enabledRule(rules, 'volume-spike.payment');
  const runRule = enabledRule(rules, 'volume-spike.payment-run');
  // The payment ring (the agent's last payments, log scale) is the baseline of both payment rules: kept, with the
  // payment rule's window and trust, while either of them is enabled.
  const pay = getRule(rules, 'volume-spike.payment').thresholds;
  const paymentsJudged = payRule !== null || runRule !== null;
  const capZ = rules.baseline.capZ;

  const textOf = (spec: (typeof specs)[number]) => ({ detector: 'volume-spike', ruleId: spec.ruleId, metric: `${spec.metric} per bucket`, what: spec.what });

  function checkSeries(st: SeriesState, p: SeriesParams, spec: (typeof specs)[number], value: number, action: string, roleSizes: ActionSizes, ctx: DetectionContext<VolumeState>, out: Finding[]): Finding[] {
    const b = ctx.bucket;
    if (st.openBucket !== b || st.upperThreshold === -1) {
      const closing = st.openBucket;
      const drop = touch(st, p, b, ctx.peers.series(ctx.agentRole, spec.peerKey), ctx.zone, !ctx.learning);
      if (drop && spec.rule) out = out === NO_FINDINGS ? [dropFinding(drop, p, st, ctx, textOf(spec))] : [...out, dropFinding(drop, p, st, ctx, textOf(spec))];
      const crew = crewRule && spec.crew ? reportCrew(st.accumulation, closing, p.bucketMs, crewRule.thresholds, spec, ctx) : null;
      if (crew) out = out === NO_FINDINGS ? [crew] : [...out, crew];
    }
    addValue(st, value, action, roleSizes, !ctx.learning);
    if (spec.rule && crossed(st, p)) {
      const peer = st.source === 2 ? ctx.peers.series(ctx.agentRole, spec.peerKey) : null;
      const f = spikeFinding(st, p, peer, ctx, textOf(spec));
      out = out === NO_FINDINGS ? [f] : [...out, f];
    }
    return out;
  }

  function runFinding(run: PaymentRunVerdict, usual: number, samples: number, event: DetectionEvent, ctx: DetectionContext<VolumeState>): Finding {
    const t = runRule!.thresholds;
    const first = run.payments[0]!;
    const paid = run.payments.reduce((sum, p) => sum + p.amount, 0);
    const currency = event.currency ?? '';
    const money = (v: number) => moneyText(v, currency);
    const minutes = Math.max(1, Math.round((ctx.now - first.at) / 60_000));
    return {
      detector: 'volume-spike',
      ruleId: runRule!.id,
      score: scoreAgainst(run.weight, 0, t.minExcessPayments),
      title: `Payment run: ${run.payments.length} payments above the usual size in ${minutes} min, ${money(paid)} (usual payment ~${usual.toFixed(2)})`,
      description: `Agent ${ctx.agentId} made ${run.payments.length} payments of more than ${t.excessOver}x its median payment (${money(usual)}) within ${minutes} minutes, ${money(paid)} in all; beyond ${t.excessOver}x the median they paid ${run.excess.toFixed(2)}, ${run.weight.toFixed(1)} median payments after a ${t.halfLifeMinutes}-minute half-life (threshold ${t.minExcessPayments}). None was large enough to alert alone.`,
      metric: 'payment excess over hours (median payments)',
      observed: roundSig(run.weight),
      baseline: { mean: null, std: null, median: usual, mad: null, sampleSize: samples, source: 'agent' },
      windowStart: first.at,
      windowEnd: ctx.now,
      relatedEventIds: run.payments.slice(-5).map((p) => p.eventId),
      details: { payments: String(run.payments.length), paid: paid.toFixed(2), excess: run.excess.toFixed(2), currency, medianAmount: usual.toFixed(2), payees: payeesOf(run.payments), halfLifeMinutes: String(t.halfLifeMinutes) },
    };
  }

  /** A payment's log amount as the ring learns it: capped at capZ spreads above the median once trusted. */
  function learnedValue(st: VolumeState, x: number): number {
    if (st.pay.length < pay.minSamples) return x;
    const med = medianSorted(st.paySorted);
    return Math.min(x, med + capZ * Math.max(MAD_TO_STD * madSorted(st.paySorted, med), LOG_SPREAD_FLOOR));
  }

  function learnPayment(st: VolumeState, x: number): void {
    const v = roundSig(learnedValue(st, x));
    if (st.pay.length < pay.windowPayments) {
      st.pay.push(v);
      st.payHead = st.pay.length % pay.windowPayments;
    } else {
      removeSorted(st.paySorted, st.pay[st.payHead]!);
      st.pay[st.payHead] = v;
      st.payHead = (st.payHead + 1) % pay.windowPayments;
    }
    insertSorted(st.paySorted, v);
  }

  /** The ring's sorted log amounts with the payments a run holds added (the ring itself when it holds none). */
  function withHeld(st: VolumeState): number[] {
    const held = st.payRun?.payments.filter((p) => p.held);
    if (!held || held.length === 0) return st.paySorted;
    const sorted = st.paySorted.slice();
    for (const p of held) insertSorted(sorted, roundSig(Math.log(p.amount)));
    return sorted;
  }

  function checkPayment(st: VolumeState, event: DetectionEvent, amount: number, ctx: DetectionContext<VolumeState>): Finding | null {
    if (!paymentsJudged) return null;
    // Payments a run held that faded out of it without firing: ordinary after all, learned before this one is judged.
    if (st.payRun && runRule) for (const faded of releaseFaded(st.payRun, runRule.thresholds, ctx.now)) learnPayment(st, Math.log(faded.amount));
    let fired: Finding | null = null;
    let held = false;
    if (st.pay.length >= pay.minSamples) {
      // The payment rule judges one payment against every recent one, those a run holds included (each is ordinary
      // alone: left out, the ring's upper tail would be missing while a run builds); the run, against the ring only.
      const sorted = withHeld(st);
      const med = medianSorted(sorted);
      const spread = Math.max(MAD_TO_STD * madSorted(sorted, med), LOG_SPREAD_FLOOR);
      const thrLog = Math.max(med + pay.z * spread, med + Math.log(pay.minRatio));
      const threshold = Math.max(Math.exp(thrLog), pay.minAmount);
      const x = Math.log(amount);
      const usual = Math.exp(med);
      if (payRule && amount >= threshold) {
        fired = {
          detector: 'volume-spike',
          ruleId: payRule.id,
          score: scoreAgainst(x, med, Math.log(threshold)),
          title: `Unusual payment: ${moneyText(amount, event.currency ?? '')} (usual ~${usual.toFixed(2)})`,
          description: `Agent ${ctx.agentId} made a ${event.action} of ${moneyText(amount, event.currency ?? '')} to ${event.target ?? 'an unnamed payee'}, ${(amount / usual).toFixed(1)}x its median payment over its last ${st.pay.length} payments; the alert threshold was ${threshold.toFixed(2)}.`,
          metric: 'payment amount',
          observed: amount,
          baseline: { mean: null, std: null, median: usual, mad: Math.exp(med) * (Math.exp(madSorted(sorted, med)) - 1), sampleSize: sorted.length, source: 'agent' },
          windowStart: ctx.now,
          windowEnd: ctx.now,
          relatedEventIds: [event.eventId],
          details: { payee: event.target ?? '', currency: event.currency ?? '', medianAmount: usual.toFixed(2), threshold: threshold.toFixed(2) },
        };
      } else if (runRule) {
        // A payment the payment rule reported is not also part of a run.
        const ringUsual = sorted === st.paySorted ? usual : Math.exp(medianSorted(st.paySorted));
        const run = observePayment((st.payRun ??= createPaymentRun()), runRule.thresholds, { at: ctx.now, amount, eventId: event.eventId, payee: event.target ?? '' }, ringUsual);
        if (run === 'held') held = true;
        else if (run) fired = runFinding(run, ringUsual, st.pay.length, event, ctx);
      }
    }
    // Learned now unless it alerted (either rule) or a run holds it until the run fades (paymentRun.ts).
    if (fired === null && !held) learnPayment(st, Math.log(amount));
    return fired;
  }

  const [bytesSpec, recordsSpec, tokensSpec] = specs as [(typeof specs)[number], (typeof specs)[number], (typeof specs)[number]];

  return {
    ...volumeSpike.identity,

    createState(ctx): VolumeState {
      const b = ctx.bucket;
      // The three series' windows and profiles in one typed array (arena.ts).
      const arena = createArena();
      return linkSizes({ bytesOut: createSeries(bytesSpec.p, b, arena), records: createSeries(recordsSpec.p, b, arena), tokens: createSeries(tokensSpec.p, b, arena), pay: [], payHead: 0, paySorted: [], payRun: null, actionSizes: newVolumeSizes() });
    },

    update(event: DetectionEvent, ctx: DetectionContext<VolumeState>): Finding[] {
      const st = ctx.state;
      let out: Finding[] = NO_FINDINGS;
      // Zero values need no touch: empty buckets close as zeros when the series is next touched.
      if (event.bytesOut > 0 || event.records > 0 || event.tokens > 0) {
        const roleSizes = ctx.peers.actionSizes(ctx.agentRole, ROLE_SIZES_KEY, newVolumeSizes);
        if (event.bytesOut > 0) out = checkSeries(st.bytesOut, bytesSpec.p, bytesSpec, event.bytesOut, event.action, roleSizes, ctx, out);
        if (event.records > 0) out = checkSeries(st.records, recordsSpec.p, recordsSpec, event.records, event.action, roleSizes, ctx, out);
        if (event.tokens > 0) out = checkSeries(st.tokens, tokensSpec.p, tokensSpec, event.tokens, event.action, roleSizes, ctx, out);
      }
      const amount = event.amount;
      if (amount !== null && amount !== undefined && amount > 0 && event.outcome === 'SUCCESS') {
        const f = checkPayment(st, event, amount, ctx);
        if (f) out = out === NO_FINDINGS ? [f] : [...out, f];
      }
      return out;
    },

    flush(ctx: DetectionContext<VolumeState>): Finding[] {
      const st = ctx.state;
      let out: Finding[] = NO_FINDINGS;
      for (const spec of specs) {
        const s = st[spec.metric];
        if (s.openBucket < 0 || s.openBucket >= ctx.bucket) continue;
        const closing = s.openBucket;
        const drop = advance(s, spec.p, ctx.bucket, ctx.peers.series(ctx.agentRole, spec.peerKey), ctx.zone);
        if (drop && spec.rule) out = [...out, dropFinding(drop, spec.p, s, ctx, textOf(spec))];
        const crew = crewRule && spec.crew ? reportCrew(s.accumulation, closing, spec.p.bucketMs, crewRule.thresholds, spec, ctx) : null;
        if (crew) out = [...out, crew];
      }
      return out;
    },

    snapshot(st: VolumeState): Json {
      const run = st.payRun && (st.payRun.payments.length > 0 || st.payRun.restUntil > 0) ? { payments: st.payRun.payments.map((p) => (p.held ? [p.at, p.amount, p.weight, p.excess, p.eventId, p.payee, 1] : [p.at, p.amount, p.weight, p.excess, p.eventId, p.payee])), restUntil: st.payRun.restUntil } : null;
      return { bytesOut: snapshotSeries(st.bytesOut), records: snapshotSeries(st.records), tokens: snapshotSeries(st.tokens), pay: st.pay, payHead: st.payHead, ...(run ? { payRun: run } : {}), actionSizes: actionSizesParts(st.actionSizes) };
    },

    restore(json: Json): VolumeState {
      const o = json as { bytesOut: Json; records: Json; tokens: Json; pay: number[]; payHead: number; payRun?: { payments: [number, number, number, number, string, string, number?][]; restUntil: number }; actionSizes?: { actions: string[]; metrics: number; fits: number[] } };
      const payRing = [...o.pay];
      // Snapshots from before payment runs have none: the agent starts with no run going on. Payments without the
      // held flag were learned when they came (snapshots from before runs held any).
      const payRun = o.payRun ? { payments: o.payRun.payments.map(([at, amount, weight, excess, eventId, payee, held]) => ({ at, amount, weight, excess, eventId, payee, held: held === 1 })), restUntil: o.payRun.restUntil } : null;
      const arena = createArena();
      // Snapshots from before the per-action sizes have none: each action's fit starts again.
      const actionSizes = o.actionSizes ? copyActionSizes(o.actionSizes) : newVolumeSizes();
      return linkSizes({ bytesOut: restoreSeries(o.bytesOut, bytesSpec.p, arena), records: restoreSeries(o.records, recordsSpec.p, arena), tokens: restoreSeries(o.tokens, tokensSpec.p, arena), pay: payRing, payHead: o.payHead, paySorted: payRing.slice().sort((a, b) => a - b), payRun, actionSizes });
    },
  };
}

/** An amount with its currency when the event named one ("1600.00 EUR", "1600.00"). */
function moneyText(amount: number, currency: string): string {
  return currency ? `${amount.toFixed(2)} ${currency}` : amount.toFixed(2);
}
