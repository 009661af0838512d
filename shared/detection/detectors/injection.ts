/**
 * Injection markers: the rules' `injectionPatterns` (case-insensitive
 * regular expressions) looked for in `event.text`. One combined expression
 * screens each text; only a hit pays for finding which patterns matched.
 * Score = 1 - prod(1 - weight) over the matching patterns. The alert carries
 * the pattern ids and a short excerpt around the first match, never the text.
 */
import type { Rules } from '../rules/schema.js';
import { NO_FINDINGS, type DetectionContext, type DetectionEvent, type Detector, type Finding, type Json } from '../types.js';
import { enabledRule } from './common.js';
import { defineDetector, rule } from './define.js';
import { unit } from '../rules/thresholds.js';
import { z } from 'zod';

export type InjectionState = Record<string, never>;

const EXCERPT_CHARS = 60;

export const InjectionThresholds = z.object({ minScore: unit }).strict();

export const injection = defineDetector({
  name: 'injection',
  acceptsUnverified: false,
  rules: {
    'injection.marker': rule(InjectionThresholds, {
      description: "The agent's input or output text carries a known prompt-injection marker.",
      severity: 'HIGH',
      tags: ['owasp-llm:LLM01', 'atlas:AML.T0051', 'atlas:AML.T0054'],
      thresholds: { minScore: 0.5 },
    }),
  },
  create: createInjectionDetector,
});

export function createInjectionDetector(rules: Rules): Detector<InjectionState> {
  const rule = enabledRule(rules, 'injection.marker');
  const patterns = rules.injectionPatterns.map((p) => ({ id: p.id, weight: p.weight, re: new RegExp(p.pattern, 'i') }));
  const screen = patterns.length > 0 ? new RegExp(rules.injectionPatterns.map((p) => `(?:${p.pattern})`).join('|'), 'i') : null;

  return {
    ...injection.identity,

    createState(): InjectionState {
      return {};
    },

    update(event: DetectionEvent, ctx: DetectionContext<InjectionState>): Finding[] {
      const text = event.text;
      if (!rule || !screen || !text || !screen.test(text)) return NO_FINDINGS;
      let miss = 1;
      const ids: string[] = [];
      let first: RegExpExecArray | null = null;
      for (const p of patterns) {
        const m = p.re.exec(text);
        if (m) {
          ids.push(p.id);
          miss *= 1 - p.weight;
          if (!first || m.index < first.index) first = m;
        }
      }
      const score = 1 - miss;
      if (ids.length === 0 || score < rule.thresholds.minScore) return NO_FINDINGS;
      const excerpt = first ? first[0].slice(0, EXCERPT_CHARS) : '';
      return [
        {
          detector: 'injection',
          ruleId: rule.id,
          score,
          title: `Prompt-injection marker in ${event.action} of ${ctx.agentId}: ${ids.join(', ')}`,
          description: `The text of a ${event.action} event of agent ${ctx.agentId} matches ${ids.length} prompt-injection pattern(s) (${ids.join(', ')}). Check what the agent did next.`,
          metric: 'injection patterns matched',
          observed: ids.length,
          baseline: { mean: null, std: null, median: null, mad: null, sampleSize: 0, source: 'rule' },
          windowStart: ctx.now,
          windowEnd: ctx.now,
          relatedEventIds: [event.eventId],
          details: { patterns: ids.join(','), matchedExcerpt: excerpt, textLength: String(text.length), textTruncated: event.attributes?.textTruncated ?? 'false', action: event.action, sessionId: event.sessionId ?? '' },
        },
      ];
    },

    flush(): Finding[] {
      return NO_FINDINGS;
    },

    snapshot(): Json {
      return {};
    },

    restore(): InjectionState {
      return {};
    },
  };
}
