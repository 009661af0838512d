/**
 * The detector registry. Each detector file exports one declaration
 * (define.ts): its name, its rules (thresholds schema + default rule) and its
 * factory. Everything that lists detectors or rule ids is built here from
 * DETECTORS: the rule catalogue (rules/schema.ts validates with it), the
 * default rules (rules/defaults.ts), the factories and names. Adding a
 * detector is adding its file and a line in DETECTORS (plus its rules in
 * rules/detection.yaml and its tests). Order matters: impersonation comes
 * first, it decides whether an event is trusted enough to reach the others.
 */
import type { z } from 'zod';
import type { RuleDef, Rules } from '../rules/schema.js';
import type { Detector } from '../types.js';
import type { UnverifiedAggregator } from '../unverified.js';
import { DEFAULT_DETECTOR_ENV, type DetectorDeclaration, type DetectorEnv, type RuleDeclarations } from './define.js';
import { errorBurst } from './errorBurst.js';
import { flow } from './flow.js';
import { impersonation } from './impersonation.js';
import { injection } from './injection.js';
import { offHours } from './offHours.js';
import { rateSpike } from './rateSpike.js';
import { slowRamp } from './slowRamp.js';
import { unusualAccess } from './unusualAccess.js';
import { volumeSpike } from './volumeSpike.js';

export const DETECTORS = [impersonation, rateSpike, volumeSpike, errorBurst, unusualAccess, offHours, injection, slowRamp, flow] as const;

type Declared = (typeof DETECTORS)[number];
type IdsOf<D> = D extends { rules: infer R } ? keyof R & string : never;
type EntryOf<D, Id extends string> = D extends { name: infer N; rules: infer R } ? (Id extends keyof R ? { detector: N; thresholds: R[Id] extends { thresholds: infer T } ? T : never } : never) : never;
export type RuleCatalogue = { readonly [Id in IdsOf<Declared>]: EntryOf<Declared, Id> };

/** Any declaration, whatever its state type (the registry only creates and lists them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a detector's state type is its own business; Detector<S> is invariant in S
export type AnyDeclaration = DetectorDeclaration<string, RuleDeclarations, any>;

export interface Registry {
  declarations: readonly AnyDeclaration[];
  /** Rule id -> its detector and thresholds schema. */
  catalogue: Readonly<Record<string, { detector: string; thresholds: z.ZodTypeAny }>>;
  /** The default rule of every id, in declaration order. */
  defaultRules: RuleDef[];
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Check a list of declarations and build the catalogue and the default rules from it. Refuses (throws) a
 * duplicate detector name or rule id, a rule id outside its detector's namespace, a detector without
 * rules, and an `acceptsUnverified` that does not match the presence of an unverified aggregator.
 */
export function buildRegistry(declarations: readonly AnyDeclaration[]): Registry {
  const catalogue: Record<string, { detector: string; thresholds: z.ZodTypeAny }> = {};
  const defaultRules: RuleDef[] = [];
  const names = new Set<string>();
  for (const d of declarations) {
    if (!KEBAB.test(d.name)) throw new Error(`detector name ${JSON.stringify(d.name)} must be kebab-case`);
    if (names.has(d.name)) throw new Error(`detector ${d.name} is declared twice`);
    names.add(d.name);
    if (d.acceptsUnverified !== (typeof d.unverified === 'function')) {
      throw new Error(`detector ${d.name}: acceptsUnverified is ${d.acceptsUnverified} but it ${d.unverified ? 'has' : 'has no'} unverified aggregator (unverified events never reach update(); only an aggregator without agent state may take them)`);
    }
    const ids = Object.keys(d.rules);
    if (ids.length === 0) throw new Error(`detector ${d.name} declares no rules`);
    for (const id of ids) {
      if (!id.startsWith(`${d.name}.`) || !KEBAB.test(id.slice(d.name.length + 1))) throw new Error(`rule id ${id} of detector ${d.name} must be ${d.name}.<kebab-case>`);
      if (id in catalogue) throw new Error(`rule id ${id} is declared by ${catalogue[id]!.detector} and ${d.name}`);
      const { thresholds, defaults } = d.rules[id]!;
      catalogue[id] = { detector: d.name, thresholds };
      defaultRules.push({ id, detector: d.name, enabled: defaults.enabled ?? true, description: defaults.description, severity: defaults.severity, tags: [...defaults.tags], exceptAgents: [...(defaults.exceptAgents ?? [])], thresholds: defaults.thresholds } as RuleDef);
    }
  }
  return { declarations, catalogue, defaultRules };
}

const REGISTRY = buildRegistry(DETECTORS);

/** Each rule id the engine knows, with its detector and thresholds schema. */
export const RULE_CATALOGUE = REGISTRY.catalogue as RuleCatalogue;
export const RULE_IDS = Object.keys(RULE_CATALOGUE) as (keyof RuleCatalogue)[];
/** Default rule of every id (rules/defaults.ts; rules/detection.yaml says the same with comments). */
export const DEFAULT_RULE_DEFS: readonly RuleDef[] = REGISTRY.defaultRules;

export const DETECTOR_FACTORIES: Readonly<Record<string, (rules: Rules) => Detector<never>>> = Object.fromEntries(DETECTORS.map((d) => [d.name, d.create as (rules: Rules) => Detector<never>]));

export const DETECTOR_NAMES: string[] = DETECTORS.map((d) => d.name);

/** The declarations with at least one enabled rule (optionally only `names`), in registry order. */
function selected(rules: Rules, names: readonly string[] | undefined, registry: Registry): AnyDeclaration[] {
  const wanted = names ? new Set(names) : null;
  if (wanted) {
    const known = new Set(registry.declarations.map((d) => d.name));
    for (const n of wanted) if (!known.has(n)) throw new Error(`unknown detector ${n} (known: ${[...known].join(', ')})`);
  }
  const enabled = new Set<string>(rules.rules.filter((r) => r.enabled).map((r) => r.id));
  return registry.declarations.filter((d) => (!wanted || wanted.has(d.name)) && d.ruleIds.some((id) => enabled.has(id)));
}

/** The detectors with at least one enabled rule (optionally only `names`), impersonation first. */
export function createDetectors(rules: Rules, names?: readonly string[], registry: Registry = REGISTRY, env: DetectorEnv = DEFAULT_DETECTOR_ENV): Detector<unknown>[] {
  return selected(rules, names, registry).map((d) => d.create(rules, env) as Detector<unknown>);
}

/**
 * The unverified-event aggregators of the selected detectors that declare `acceptsUnverified` (today:
 * impersonation). Unverified events reach these and nothing else (engine/unverifiedRoute.ts).
 */
export function createUnverifiedAggregators(rules: Rules, names?: readonly string[], registry: Registry = REGISTRY): UnverifiedAggregator[] {
  return selected(rules, names, registry).flatMap((d) => (d.acceptsUnverified ? [d.unverified(rules)] : []));
}
