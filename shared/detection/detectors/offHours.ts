/**
 * Off-hours: activity in an hour of the week in which this agent is normally
 * (almost) idle. The agent's profile counts events and observed hours per
 * hour-of-week slot; a slot with little history borrows from the same hour on
 * days of the same class (weekday/weekend), then from every day (shrinkage),
 * so the first week is judged by hour of day and later weeks by hour of week.
 * An hour is "off" when its expected count is below `rareShare` of the
 * agent's average hour. In an off hour, the count over a sliding window of
 * two buckets (this one and the previous one, when that was off too) alerts
 * once it is improbable under a (slightly inflated) Poisson model: P(count or
 * more) <= `maxTailProbability`, and at least `minEvents`.
 * An hour that alerted is learned as its expectation, not its count.
 *
 * The independent unit is the agent's task, not its event (issue 11): an
 * agent chains several actions seconds apart for one task (plan, read, call
 * a tool, answer), and a Poisson model of independent events read one nightly
 * task of 4 chained actions as 4 improbable events. An event within
 * `taskGapMs` of the agent's previous one, in the same session, continues a
 * chain; the agent's usual chain length (an EWMA of its chains, capped) turns
 * the expected events of an hour into expected tasks, and the threshold in
 * tasks back into events (a compound Poisson count). So an agent whose tasks
 * are single events (or chains no longer than independent events give by
 * chance, CHANCE_CHAIN) is judged as before, one that chains 4 actions per task
 * needs ~4x the events, and a night's work in one long chain still counts as
 * the many tasks it is worth. The profile keeps counting events.
 */
import type { Rules } from '../rules/schema.js';
import { poissonTail, roundSig } from '../baseline/robust.js';
import { HOUR_MS, WEEK_HOURS, dayClassOfHourOfWeek, epochHour, hourOfWeekFromEpochHour } from '../time.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding } from '../types.js';
import { enabledRule } from './common.js';
import { EVENTS, HOURS, createOffHoursState, restoreOffHours, slotValue, snapshotOffHours } from './offHoursCodec.js';
import { defineDetector, rule } from './define.js';
import { positiveInt, unit } from '../rules/thresholds.js';
import { z } from 'zod';

export interface OffHoursState {
  /**
   * The hour-of-week profile: events learned per slot at [EVENTS, +168), hours observed per slot at [HOURS, +168).
   * One float32 array (half the bytes of two arrays of doubles), values written through roundSig and read back
   * through it (offHoursCodec.ts `slotValue`): exact below 1,024, within float32's 6e-8 beyond.
   */
  profile: Float32Array;
  /** The current local epoch hour (-1: none yet): its events, its expected events, whether it alerted (0/1). */
  hour: number;
  hourEvents: number;
  hourExpected: number;
  hourFired: number;
  /** The current hour's expectations, computed once: its busiest neighbour's (the envelope; -1 not yet) and the average hour's. */
  hourEnvelope: number;
  hourAverage: number;
  /** The current bucket (-1: none yet): its events, its threshold (-1 not computed, 0 not off), its expected events, whether it alerted (0/1). */
  bucket: number;
  bucketEvents: number;
  threshold: number;
  bucketExpected: number;
  bucketFired: number;
  /** The previous bucket, when it was off and quiet: its events and expected events (else 0), pooled with the current one. */
  previousEvents: number;
  previousExpected: number;
  /** The agent's previous event (event time; -1 none) and its session (null: none), events in its current chain, and its usual chain length (EWMA, >= 1). */
  lastTs: number;
  lastSession: string | null;
  chainEvents: number;
  chainMean: number;
}

/** Pseudo-hours of the class/day prior when a slot has little history. */
const PRIOR_HOURS = 2;
/** Halve the profile when a slot has this many hours: memory of ~this many weeks. */
const MAX_SLOT_HOURS = 16;
/** Hour counts are burstier than Poisson: inflate the expectation. */
const INFLATE = 1.5;
/** Learning rate of the usual chain length (~the last 50 chains), and its cap (a poisoner's long chains buy at most this). */
const CHAIN_ALPHA = 0.02;
const MAX_CHAIN_MEAN = 8;
/**
 * Independent events chain by chance too: at a busy agent's pace (one event every ~10 s) a 5 s gap links ~1.5
 * events on average. Up to that, the agent's events are judged as events (INFLATE covers that burstiness).
 */
const CHANCE_CHAIN = 1.5;

/** Events per task for the Poisson count: the agent's usual chain length where it chains beyond chance, else 1. */
function taskSize(st: OffHoursState): number {
  return st.chainMean > CHANCE_CHAIN ? st.chainMean : 1;
}
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export const OffHoursThresholds = z
  .object({
    /** An hour is "off" when its expected activity is below this share of the agent's average hour. */
    rareShare: unit,
    /** Never alert on fewer events in the two-bucket window. */
    minEvents: positiveInt,
    /** Alert when P(count >= observed | expected) for the two-bucket window, under a Poisson model, is below this. */
    maxTailProbability: z.number().positive().max(1),
    /** An event at most this long after the agent's previous one, in the same session, is part of the same task; 0 treats every event as a task. */
    taskGapMs: z.number().int().min(0).max(600_000),
  })
  .strict();

export const offHours = defineDetector({
  name: 'off-hours',
  acceptsUnverified: false,
  rules: {
    'off-hours.activity': rule(OffHoursThresholds, {
      description: 'Activity in an hour of the week in which this agent is normally (almost) idle.',
      severity: 'MEDIUM',
      tags: ['owasp-llm:LLM06', 'mitre:T1078'],
      thresholds: { rareShare: 0.15, minEvents: 4, maxTailProbability: 1e-5, taskGapMs: 5_000 },
    }),
  },
  create: createOffHoursDetector,
});

export function createOffHoursDetector(rules: Rules): Detector<OffHoursState> {
  const rule = enabledRule(rules, 'off-hours.activity');
  const th = rule?.thresholds;
  const bucketsPerHour = Math.max(1, HOUR_MS / rules.engine.bucketMs);

  function expectedFor(st: OffHoursState, how: number): { expected: number; average: number } {
    const h = how % 24;
    const cls = dayClassOfHourOfWeek(how);
    let evC = 0, hrC = 0, evA = 0, hrA = 0, evT = 0, hrT = 0;
    const profile = st.profile;
    for (let d = 0; d < 7; d++) {
      const s = d * 24 + h;
      evA += slotValue(profile, EVENTS + s);
      hrA += slotValue(profile, HOURS + s);
      if (dayClassOfHourOfWeek(s) === cls) {
        evC += slotValue(profile, EVENTS + s);
        hrC += slotValue(profile, HOURS + s);
      }
    }
    for (let s = 0; s < WEEK_HOURS; s++) {
      evT += slotValue(profile, EVENTS + s);
      hrT += slotValue(profile, HOURS + s);
    }
    const prior = hrC > 0 ? evC / hrC : hrA > 0 ? evA / hrA : 0;
    const expected = (slotValue(profile, EVENTS + how) + PRIOR_HOURS * prior) / (slotValue(profile, HOURS + how) + PRIOR_HOURS);
    return { expected, average: hrT > 0 ? evT / hrT : 0 };
  }

  /** Learn the hour that ended. Local time goes back an hour when daylight saving ends: that hour is learned as one more of its slot. */
  function rollHour(st: OffHoursState, hour: number): void {
    if (st.hour >= 0 && hour !== st.hour) {
      const profile = st.profile;
      const how = hourOfWeekFromEpochHour(st.hour);
      // An hour that alerted teaches no more than it was expected to have.
      profile[EVENTS + how] = roundSig(slotValue(profile, EVENTS + how) + (st.hourFired ? Math.min(st.hourEvents, st.hourExpected) : st.hourEvents));
      profile[HOURS + how] = roundSig(slotValue(profile, HOURS + how) + 1);
      // Hours with no event are observed too (as quiet ones).
      const gap = Math.max(0, Math.min(hour - st.hour - 1, WEEK_HOURS));
      for (let k = hour - gap; k < hour; k++) {
        const quiet = HOURS + hourOfWeekFromEpochHour(k);
        profile[quiet] = roundSig(slotValue(profile, quiet) + 1);
      }
      if (slotValue(profile, HOURS + how) >= MAX_SLOT_HOURS) {
        for (let s = 0; s < 2 * WEEK_HOURS; s++) profile[s] = roundSig(slotValue(profile, s) / 2);
      }
    }
    st.hour = hour;
    st.hourEvents = 0;
    st.hourExpected = 0;
    st.hourFired = 0;
    st.hourEnvelope = -1;
    st.hourAverage = 0;
  }

  /** Follows the agent's chains of events; a chain that ends outside an alerted hour teaches the usual chain length. */
  function trackChain(st: OffHoursState, event: DetectionEvent, now: number): void {
    const session = event.sessionId ?? null;
    const chained = st.lastTs >= 0 && now - st.lastTs <= (th?.taskGapMs ?? 0) && (session === null || st.lastSession === null || session === st.lastSession);
    if (!chained && st.chainEvents > 0 && !st.hourFired) st.chainMean = roundSig(st.chainMean + CHAIN_ALPHA * (Math.min(st.chainEvents, MAX_CHAIN_MEAN) - st.chainMean));
    st.chainEvents = chained ? st.chainEvents + 1 : 1;
    st.lastTs = now;
    st.lastSession = session;
  }

  function rollBucket(st: OffHoursState, bucket: number): void {
    const pooled = bucket === st.bucket + 1 && st.threshold > 0 && !st.bucketFired;
    st.previousEvents = pooled ? st.bucketEvents : 0;
    st.previousExpected = pooled ? st.bucketExpected : 0;
    st.bucket = bucket;
    st.bucketEvents = 0;
    st.threshold = -1;
    st.bucketExpected = 0;
    st.bucketFired = 0;
  }

  function arm(st: OffHoursState, ctx: DetectionContext<OffHoursState>): void {
    st.threshold = 0;
    if (st.hourEnvelope < 0) {
      // Once per hour: the profile only changes when an hour ends.
      const how = hourOfWeekFromEpochHour(st.hour);
      const { expected, average } = expectedFor(st, how);
      // A routine that starts a little early or ends late is not off-hours: judge by the busiest of this hour and its neighbours.
      st.hourExpected = expected;
      st.hourEnvelope = Math.max(expected, expectedFor(st, (how + 1) % WEEK_HOURS).expected, expectedFor(st, (how + WEEK_HOURS - 1) % WEEK_HOURS).expected);
      st.hourAverage = average;
    }
    const envelope = st.hourEnvelope;
    const average = st.hourAverage;
    st.bucketExpected = envelope / bucketsPerHour;
    if (!th || ctx.learning || !(average > 0) || envelope >= th.rareShare * average) return;
    // Judged in tasks (see the header): expected events / usual chain length, and the threshold back in events.
    const chain = taskSize(st);
    const lambda = (INFLATE * (Math.max(st.bucketExpected, (0.01 * average) / bucketsPerHour) + st.previousExpected)) / chain;
    let k = Math.max(th.minEvents, Math.ceil(lambda));
    while (k < 100_000 && poissonTail(k, lambda) > th.maxTailProbability) k++;
    st.threshold = Math.ceil(k * chain);
  }

  return {
    ...offHours.identity,

    createState: createOffHoursState,

    update(event: DetectionEvent, ctx: DetectionContext<OffHoursState>): Finding[] {
      const st = ctx.state;
      if (ctx.bucket !== st.bucket) {
        const hour = epochHour(ctx.now, ctx.zone);
        if (hour !== st.hour) rollHour(st, hour);
        rollBucket(st, ctx.bucket);
      }
      if (st.threshold === -1) arm(st, ctx);
      trackChain(st, event, ctx.now);
      st.hourEvents++;
      st.bucketEvents++;
      if (st.threshold <= 0 || st.bucketFired || !rule) return NO_FINDINGS;
      const observed = st.bucketEvents + st.previousEvents;
      if (observed < st.threshold) return NO_FINDINGS;
      st.bucketFired = 1;
      st.hourFired = 1;
      const how = hourOfWeekFromEpochHour(st.hour);
      const lambda = st.bucketExpected + st.previousExpected;
      const chain = taskSize(st);
      const tail = poissonTail(Math.floor(observed / chain), (INFLATE * Math.max(lambda, 1e-9)) / chain);
      const { average } = expectedFor(st, how);
      const when = `${DAY_NAMES[Math.floor(how / 24)]} ${String(how % 24).padStart(2, '0')}:00`;
      const bucketMs = rules.engine.bucketMs;
      const minutes = Math.round(((st.previousEvents > 0 ? 2 : 1) * bucketMs) / 60_000);
      return [
        {
          detector: 'off-hours',
          ruleId: rule.id,
          score: Math.min(1, 0.5 + 0.05 * Math.max(0, Math.log10(th!.maxTailProbability / Math.max(tail, 1e-300)))),
          title: `Off-hours activity: ${observed} actions in ${minutes} min at ${when} (usually ~${lambda.toFixed(2)})`,
          description: `Agent ${ctx.agentId} made ${observed} actions within ${minutes} minutes in the hour ${when} (local time, ${ctx.zone.name}), an hour in which it averages ${st.hourExpected.toFixed(2)} actions while its average hour has ${average.toFixed(1)}; its tasks usually chain ${chain.toFixed(1)} actions, so P(this many tasks | usual) = ${tail.toExponential(1)}.`,
          metric: 'actions per bucket in an off hour of the week',
          observed,
          baseline: { mean: lambda, std: Math.sqrt(lambda), median: null, mad: null, sampleSize: Math.round(slotValue(st.profile, HOURS + how) + PRIOR_HOURS), source: 'agent' },
          windowStart: (st.bucket - (st.previousEvents > 0 ? 1 : 0)) * bucketMs,
          windowEnd: ctx.now,
          relatedEventIds: ctx.recentEventIds(),
          details: { hourOfWeek: String(how), localTime: when, timeZone: ctx.zone.name, expectedPerHour: st.hourExpected.toFixed(3), averagePerHour: average.toFixed(2), threshold: String(st.threshold), tailProbability: tail.toExponential(2), usualChainLength: chain.toFixed(2), lastAction: event.action },
        },
      ];
    },

    flush(): Finding[] {
      return NO_FINDINGS;
    },

    snapshot: snapshotOffHours,
    restore: restoreOffHours,
  };
}
