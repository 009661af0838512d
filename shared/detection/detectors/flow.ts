/**
 * Multi-step flows: rules over one agent's sequence of events, e.g. a read of
 * a sensitive resource followed within 10 minutes by egress to a destination
 * this agent never used. Unlike static flow rules (Invariant's), a step can
 * ask what this agent knows ("target first seen for this agent"), so the same
 * rule is quiet on an agent's usual destinations and loud on a new one.
 *
 * A rule is data (rules/detection.yaml): ordered steps, each matching when any
 * of its matchers does (a matcher is an AND of action globs, sensitivity
 * labels of the resource, outcomes, attribute values, an injection marker in
 * the text, a first-seen target); the whole chain must fit in `withinMs` from
 * its first step, and with `sameSession` in one session. One event advances a
 * chain by at most one step, so a flow is never matched reversed or by a
 * single event. Per rule and step the detector keeps only the latest chain
 * that reached it (a newer first step replaces an older one: it leaves the
 * most time for the rest), which is what keeps the state a few entries.
 * A first-seen target is not judged while the agent learns: every target is
 * new then (the known set is still filled).
 */
import { z } from 'zod';
import { OutcomeValues } from '../../schemas/generated.js';
import { RulesError } from '../../errors/index.js';
import type { RuleDef, Rules } from '../rules/schema.js';
import { positiveInt, regexSource, unit } from '../rules/thresholds.js';
import { SnapshotVersionError } from '../baseline/seriesCodec.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { enabledRule } from './common.js';
import { DEFAULT_DETECTOR_ENV, defineDetector, rule, type DetectorEnv } from './define.js';
import { createKnownTargets, isKnownTarget, knownTargetsFromJson, knownTargetsToJson, rememberTarget, targetHash, type KnownTargets, type KnownTargetsJson } from './flowTargets.js';
import { compileStep, type CompiledStep, type FlowMatchContext } from './flowMatch.js';

export const FLOW_CODEC_VERSION = 1;
const MAX_STEPS = 5;
const MINUTE_MS = 60_000;

const kebab = z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'kebab-case');

export const FlowStepMatcher = z
  .object({
    /** Action names; `*` matches any run of characters (`payment.*`, `*.upload`). */
    actions: z.array(z.string().min(1)).min(1).optional(),
    /** Labels of `sensitivity` entries that apply to resources: the event's resource must match one. */
    sensitivity: z.array(z.string().min(1)).min(1).optional(),
    /** Regular expressions (partial match, case-insensitive) on the event's resource. */
    resources: z.array(regexSource).min(1).optional(),
    outcomes: z.array(z.enum(OutcomeValues)).min(1).optional(),
    /** Attribute name -> accepted values: any one of the attributes with any one of its values. */
    attributes: z.record(z.array(z.string()).min(1)).optional(),
    /** true: the text matches one of `injectionPatterns`. */
    injectionMarker: z.literal(true).optional(),
    /** true: the event has a target this agent has not used within `unusualAccess.seenTtlMs` (judged after learning). */
    newTarget: z.literal(true).optional(),
  })
  .strict()
  .refine((m) => Object.keys(m).length > 0, 'a matcher needs at least one condition (an empty one matches every event)');

export const FlowStep = z.object({ name: kebab, anyOf: z.array(FlowStepMatcher).min(1) }).strict();

export const FlowThresholds = z
  .object({
    steps: z.array(FlowStep).min(2).max(MAX_STEPS),
    /** The last step must come at most this long after the first. */
    withinMs: positiveInt,
    /** Every step in one session (events without a session never chain). */
    sameSession: z.boolean(),
    /** The finding's score (0..1; >= 0.8 keeps the rule's severity). */
    score: unit,
  })
  .strict();
export type FlowThresholdValues = z.infer<typeof FlowThresholds>;

const EGRESS_ACTIONS = ['net.egress', 'http.*', 'email.send', 'file.upload', '*.upload', 'message.send', 'webhook.*'];

export const flow = defineDetector({
  name: 'flow',
  acceptsUnverified: false,
  rules: {
    'flow.sensitive-read-then-new-egress': rule(FlowThresholds, {
      description: 'The agent reads a sensitive resource (secret, personal, admin or finance data), then within 10 minutes sends data to a destination it never used: a read-then-exfiltrate flow.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM02', 'owasp-agentic:ASI02', 'owasp-agentic:ASI01', 'atlas:AML.T0057', 'atlas:AML.T0025', 'mitre:T1041', 'mitre:T1567'],
      thresholds: {
        steps: [
          { name: 'sensitive-read', anyOf: [{ sensitivity: ['secret', 'pii', 'admin', 'finance'], outcomes: ['SUCCESS'] }] },
          { name: 'new-egress', anyOf: [{ actions: EGRESS_ACTIONS, newTarget: true }] },
        ],
        withinMs: 10 * MINUTE_MS,
        sameSession: false,
        score: 0.85,
      },
    }),
    'flow.untrusted-input-then-privileged': rule(FlowThresholds, {
      description: 'Untrusted input (text with a prompt-injection marker, or a prompt.input marked untrusted or external) is followed within 10 minutes by a payment, a permission change or a deletion: an injected instruction being carried out.',
      severity: 'HIGH',
      tags: ['owasp-llm:LLM01', 'owasp-llm:LLM06', 'owasp-agentic:ASI01', 'owasp-agentic:ASI03', 'atlas:AML.T0051', 'atlas:AML.T0053', 'mitre:T1098', 'mitre:T1485', 'mitre:T1657'],
      thresholds: {
        steps: [
          { name: 'untrusted-input', anyOf: [{ injectionMarker: true }, { actions: ['prompt.input'], attributes: { trust: ['untrusted', 'external'], 'input.source': ['external', 'web', 'email', 'document', 'tool-output'] } }] },
          { name: 'privileged-action', anyOf: [{ actions: ['payment.*', 'permission.*', 'iam.*', '*.delete', 'data.delete'] }] },
        ],
        withinMs: 10 * MINUTE_MS,
        sameSession: false,
        score: 0.9,
      },
    }),
  },
  create: createFlowDetector,
});

type FlowRuleId = (typeof flow.ruleIds)[number];

/** One matched step, as the evidence names it. */
export interface StepHit {
  eventId: string;
  action: string;
  resource: string | null;
  target: string | null;
  ts: number;
}

/** A chain that reached some step: when its first step happened, its session, the steps matched so far. */
export interface Chain {
  startTs: number;
  sessionId: string | null;
  hits: StepHit[];
}

export interface FlowState {
  targets: KnownTargets;
  /** Per enabled rule (in rule order), per step but the last: the latest live chain that reached it. */
  chains: (Chain | null)[][];
}

interface CompiledRule {
  rule: RuleDef<FlowRuleId>;
  steps: CompiledStep[];
  withinMs: number;
  sameSession: boolean;
}

export function createFlowDetector(rules: Rules, env: DetectorEnv = DEFAULT_DETECTOR_ENV): Detector<FlowState> {
  const seed = env.nameSeeds.a;
  const compiled: CompiledRule[] = [];
  const issues: string[] = [];
  for (const id of flow.ruleIds) {
    const r = enabledRule(rules, id);
    if (!r) continue;
    const steps = r.thresholds.steps.map((s, i) => compileStep(s, rules, (problem) => issues.push(`rules[id=${id}].thresholds.steps[${i}]: ${problem}`)));
    compiled.push({ rule: r, steps, withinMs: r.thresholds.withinMs, sameSession: r.thresholds.sameSession });
  }
  if (issues.length > 0) throw new RulesError(issues, 'flow rules');
  const ttlMs = rules.unusualAccess.seenTtlMs;
  const match: FlowMatchContext = { learning: false, newTarget: false };

  function finding(cr: CompiledRule, chain: Chain, last: StepHit, ctx: DetectionContext<FlowState>): Finding {
    const hits = [...chain.hits, last];
    const details: Record<string, string> = { withinMs: String(cr.withinMs), elapsedMs: String(last.ts - chain.startTs), sessionId: chain.sessionId ?? '', steps: cr.steps.map((s) => s.name).join(' -> ') };
    hits.forEach((h, i) => {
      const p = `step${i + 1}`;
      details[`${p}.name`] = cr.steps[i]!.name;
      details[`${p}.eventId`] = h.eventId;
      details[`${p}.action`] = h.action;
      details[`${p}.resource`] = h.resource ?? '';
      details[`${p}.target`] = h.target ?? '';
      details[`${p}.time`] = new Date(h.ts).toISOString();
    });
    const story = hits.map((h, i) => `${cr.steps[i]!.name}: ${h.action}${h.resource ? ` on ${JSON.stringify(h.resource)}` : ''}${h.target ? ` to ${JSON.stringify(h.target)}` : ''} at ${new Date(h.ts).toISOString()}`).join('; then ');
    const minutes = ((last.ts - chain.startTs) / MINUTE_MS).toFixed(1);
    return {
      detector: 'flow',
      ruleId: cr.rule.id,
      score: cr.rule.thresholds.score,
      title: `Flow ${cr.steps.map((s) => s.name).join(' -> ')} by ${ctx.agentId} within ${minutes} min`,
      description: `Agent ${ctx.agentId} (${ctx.agentRole}) went through the steps of ${cr.rule.id} in ${minutes} minutes (limit ${Math.round(cr.withinMs / MINUTE_MS)}): ${story}.`,
      metric: 'flow steps matched',
      observed: hits.length,
      baseline: { mean: null, std: null, median: null, mad: null, sampleSize: ctx.state.targets.count, source: 'rule' },
      windowStart: chain.startTs,
      windowEnd: last.ts,
      relatedEventIds: hits.map((h) => h.eventId).slice(-10),
      details,
    };
  }

  return {
    ...flow.identity,

    createState(): FlowState {
      return { targets: createKnownTargets(), chains: compiled.map((cr) => cr.steps.slice(1).map(() => null)) };
    },

    update(event: DetectionEvent, ctx: DetectionContext<FlowState>): Finding[] {
      const st = ctx.state;
      const hash = event.target ? targetHash(event.target, seed) : 0;
      match.learning = ctx.learning;
      match.newTarget = event.target !== null && event.target !== '' && !isKnownTarget(st.targets, hash, ctx.now, ttlMs);
      let out: Finding[] = NO_FINDINGS;
      for (let r = 0; r < compiled.length; r++) {
        const cr = compiled[r]!;
        const chains = st.chains[r]!;
        let hit: StepHit | null = null;
        // Last step first: this event extends what earlier events built before it can start a chain itself.
        for (let i = cr.steps.length - 1; i >= 0; i--) {
          // A later step is only tried where a chain waits for it (most events start none: one match, not one per step).
          const prev = i === 0 ? null : chains[i - 1]!;
          if (i > 0 && !prev) continue;
          if (!cr.steps[i]!.matches(event, match)) continue;
          hit ??= { eventId: event.eventId, action: event.action, resource: event.resource ?? null, target: event.target ?? null, ts: ctx.now };
          if (prev === null) {
            if (cr.sameSession && !event.sessionId) continue;
            chains[0] = { startTs: ctx.now, sessionId: event.sessionId ?? null, hits: [hit] };
            continue;
          }
          if (ctx.now - prev.startTs > cr.withinMs) {
            chains[i - 1] = null;
            continue;
          }
          if (cr.sameSession && prev.sessionId !== event.sessionId) continue;
          if (i === cr.steps.length - 1) {
            if (out === NO_FINDINGS) out = [];
            out.push(finding(cr, prev, hit, ctx));
          } else chains[i] = { startTs: prev.startTs, sessionId: prev.sessionId, hits: [...prev.hits, hit] };
        }
      }
      if (event.target) rememberTarget(st.targets, hash, ctx.now);
      return out;
    },

    flush(): Finding[] {
      return NO_FINDINGS;
    },

    snapshot(st: FlowState): Json {
      const chains: Record<string, Json> = {};
      compiled.forEach((cr, r) => (chains[cr.rule.id] = st.chains[r]!.map((c) => (c ? { startTs: c.startTs, sessionId: c.sessionId, hits: c.hits.map((h) => ({ ...h })) } : null))));
      return { version: FLOW_CODEC_VERSION, targets: { ...knownTargetsToJson(st.targets) }, chains };
    },

    restore(json: Json): FlowState {
      const o = json as { version?: unknown; targets: KnownTargetsJson; chains: Record<string, (Chain | null)[] | undefined> } | null;
      if (!o || typeof o !== 'object' || o.version !== FLOW_CODEC_VERSION) throw new SnapshotVersionError('flow', o && typeof o === 'object' ? o.version : o, FLOW_CODEC_VERSION);
      return {
        targets: knownTargetsFromJson(o.targets),
        // A rule whose step count changed since the snapshot starts with no chains (they described other steps).
        chains: compiled.map((cr) => {
          const saved = o.chains[cr.rule.id];
          const empty = cr.steps.slice(1).map(() => null as Chain | null);
          if (!saved || saved.length !== empty.length) return empty;
          return saved.map((c) => (c ? { startTs: c.startTs, sessionId: c.sessionId, hits: c.hits.map((h) => ({ ...h })) } : null));
        }),
      };
    },
  };
}
