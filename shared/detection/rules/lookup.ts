/**
 * Reading a rule out of loaded rules. Apart from schema.ts on purpose: the
 * detectors call it, and schema.ts imports the registry, which imports the
 * detectors; this file imports nothing at run time, so a detector module can
 * be loaded first without meeting a half-initialised registry.
 */
import type { RuleDef, RuleId, Rules } from './schema.js';

/** The rule with this id (every known id is present after loading: missing ones come from the defaults). */
export function getRule<Id extends RuleId>(rules: Rules, id: Id): RuleDef<Id> {
  const rule = rules.rules.find((r) => r.id === id);
  if (!rule) throw new Error(`rule ${id} missing from the rules (load them with loadRules/resolveRules)`);
  return rule as RuleDef<Id>;
}
