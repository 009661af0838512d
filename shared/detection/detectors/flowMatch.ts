/**
 * A flow step, compiled once per engine: its matchers (see FlowStepMatcher in
 * flow.ts) become a predicate over one event. The per-agent facts a step may
 * ask about (is the agent still learning, is this target new to it) come in
 * through FlowMatchContext, computed once per event by the detector.
 */
import type { z } from 'zod';
import type { Rules } from '../rules/schema.js';
import type { DetectionEvent } from '../types.js';
import type { FlowStep } from './flow.js';

export interface FlowMatchContext {
  learning: boolean;
  /** The event has a target this agent has not used (within the TTL). */
  newTarget: boolean;
}

export interface CompiledStep {
  name: string;
  matches(event: DetectionEvent, ctx: FlowMatchContext): boolean;
}

type Matcher = (event: DetectionEvent, ctx: FlowMatchContext) => boolean;

const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/*
 * Plain loops, not `some`/`every` with an arrow: the arrow closes over the event, so it was a new closure per step
 * per event (flow's matching was a third of the engine's allocation on the week workload).
 */
function anyTest(patterns: readonly RegExp[], text: string): boolean {
  for (let i = 0; i < patterns.length; i++) if (patterns[i]!.test(text)) return true;
  return false;
}

function allOf(checks: readonly Matcher[]): Matcher {
  return (e, ctx) => {
    for (let i = 0; i < checks.length; i++) if (!checks[i]!(e, ctx)) return false;
    return true;
  };
}

function anyOf(matchers: readonly Matcher[]): Matcher {
  return (e, ctx) => {
    for (let i = 0; i < matchers.length; i++) if (matchers[i]!(e, ctx)) return true;
    return false;
  };
}

/** `payment.*` -> /^payment\..*$/i: only `*` is special, so action names are written as they are. */
export function actionGlob(globs: readonly string[]): RegExp {
  return new RegExp(`^(?:${globs.map((g) => escapeRe(g).replace(/\*/g, '.*')).join('|')})$`, 'i');
}

export function compileStep(step: z.infer<typeof FlowStep>, rules: Rules, problem: (text: string) => void): CompiledStep {
  const screen = rules.injectionPatterns.length > 0 ? new RegExp(rules.injectionPatterns.map((p) => `(?:${p.pattern})`).join('|'), 'i') : null;
  const matchers: Matcher[] = step.anyOf.map((m, k) => {
    const checks: Matcher[] = [];
    if (m.actions) {
      const re = actionGlob(m.actions);
      checks.push((e) => re.test(e.action));
    }
    if (m.outcomes) {
      const outcomes = new Set<string>(m.outcomes);
      checks.push((e) => outcomes.has(e.outcome));
    }
    if (m.sensitivity) {
      const wanted = new Set(m.sensitivity);
      const known = new Set(rules.sensitivity.filter((s) => s.fields.includes('resource')).map((s) => s.label));
      for (const label of wanted) if (!known.has(label)) problem(`anyOf[${k}].sensitivity: no sensitivity entry labelled ${JSON.stringify(label)} applies to resources (known: ${[...known].join(', ')})`);
      const patterns = rules.sensitivity.filter((s) => wanted.has(s.label) && s.fields.includes('resource')).map((s) => new RegExp(s.pattern, 'i'));
      checks.push((e) => !!e.resource && anyTest(patterns, e.resource));
    }
    if (m.resources) {
      const patterns = m.resources.map((p) => new RegExp(p, 'i'));
      checks.push((e) => !!e.resource && anyTest(patterns, e.resource));
    }
    if (m.attributes) {
      const wanted = Object.entries(m.attributes).map(([key, values]) => [key, new Set(values.map((v) => v.toLowerCase()))] as const);
      checks.push((e) => {
        const attrs = e.attributes;
        if (!attrs) return false;
        for (let i = 0; i < wanted.length; i++) {
          const [key, values] = wanted[i]!;
          const v = attrs[key];
          if (v !== undefined && values.has(v.toLowerCase())) return true;
        }
        return false;
      });
    }
    if (m.injectionMarker) {
      if (!screen) problem(`anyOf[${k}].injectionMarker: injectionPatterns is empty`);
      checks.push((e) => !!screen && !!e.text && screen.test(e.text));
    }
    if (m.newTarget) checks.push((_e, ctx) => !ctx.learning && ctx.newTarget);
    return allOf(checks);
  });
  return { name: step.name, matches: anyOf(matchers) };
}
