/**
 * How a detector declares itself (after Redpanda Connect's spec beside each
 * component): its name, each rule id it can fire with that rule's thresholds
 * schema and default rule, whether unverified events reach it, and its
 * factory. The registry (registry.ts) builds the detector list, the rule
 * catalogue, the rules schema and the default rules from these declarations;
 * nothing else lists rule ids.
 */
import type { z } from 'zod';
import type { SeverityValues } from '../../schemas/generated.js';
import type { Rules } from '../rules/schema.js';
import type { Detector } from '../types.js';
import type { UnverifiedAggregator } from '../unverified.js';
import { UNKEYED, type NameSeeds } from '../baseline/seenSet.js';

/** What the engine gives every detector factory besides the rules: deployment settings that are not rules data. */
export interface DetectorEnv {
  /** Seeds of the hashes agents' remembered names are kept as (baseline/seenSet.ts): secret in a deployment. */
  readonly nameSeeds: NameSeeds;
}

export const DEFAULT_DETECTOR_ENV: DetectorEnv = Object.freeze({ nameSeeds: UNKEYED });

/** A rule's default entry in the rules file (`id` and `detector` come from the declaration). */
export interface RuleDefaults<T> {
  description: string;
  /** The highest severity the rule raises; weaker scores step it down. */
  severity: (typeof SeverityValues)[number];
  /** owasp-llm:LLM01, atlas:AML.T0051, mitre:T1041 ... */
  tags: string[];
  /** Default true. */
  enabled?: boolean;
  /** Default none. */
  exceptAgents?: string[];
  /** Complete (every key, defaults applied): DEFAULT_RULES must equal the validated rules/detection.yaml. */
  thresholds: T;
}

export interface RuleDeclaration<Schema extends z.ZodTypeAny = z.ZodTypeAny> {
  readonly thresholds: Schema;
  readonly defaults: RuleDefaults<z.infer<Schema>>;
}

/** One rule of a detector: its thresholds schema and its defaults, type-checked against each other. */
export function rule<Schema extends z.ZodTypeAny>(thresholds: Schema, defaults: RuleDefaults<z.infer<Schema>>): RuleDeclaration<Schema> {
  return { thresholds, defaults };
}

export type RuleDeclarations = Readonly<Record<string, RuleDeclaration>>;

/**
 * Unverified events say nothing about the agent they claim, so they never reach a detector's `update` and
 * never touch agent state. A detector that declares `acceptsUnverified: true` supplies `unverified`: an
 * aggregator that sees them apart, with no agent state, and whose alerts the engine tags `warden:unverified`
 * (the response gate never isolates anyone for those). Every other detector declares false.
 */
type UnverifiedSide =
  | { readonly acceptsUnverified: false; readonly unverified?: undefined }
  | { readonly acceptsUnverified: true; readonly unverified: (rules: Rules) => UnverifiedAggregator };

export type DetectorDeclaration<Name extends string = string, R extends RuleDeclarations = RuleDeclarations, S = unknown> = UnverifiedSide & {
  /** kebab-case; every rule id starts with `${name}.`. */
  readonly name: Name;
  readonly rules: R;
  readonly ruleIds: readonly (keyof R & string)[];
  /** The detector object, one per engine (per-agent state lives in the engine's agent slots). */
  readonly create: (rules: Rules, env: DetectorEnv) => Detector<S>;
  /** What the detector object repeats: spread it into the object the factory returns (one source for each). */
  readonly identity: { readonly name: Name; readonly ruleIds: readonly string[]; readonly acceptsUnverified: boolean };
};

export function defineDetector<const Name extends string, const R extends RuleDeclarations, S>(
  decl: UnverifiedSide & { name: Name; rules: R; create: (rules: Rules, env: DetectorEnv) => Detector<S> },
): DetectorDeclaration<Name, R, S> {
  const ruleIds = Object.keys(decl.rules) as (keyof R & string)[];
  return { ...decl, ruleIds, identity: { name: decl.name, ruleIds, acceptsUnverified: decl.acceptsUnverified } };
}
