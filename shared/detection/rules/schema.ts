/**
 * The rules file's schema (zod). Rules are data (Falco style): every rule has
 * an id, a description, a severity, tags and typed thresholds; lists
 * (sensitivity, allowlists, injection patterns) are shared by name. Which
 * rule ids exist and their thresholds schemas come from the detectors'
 * declarations (detectors/registry.ts: RULE_CATALOGUE).
 * `validateRules` reports every problem with the path of the bad key.
 */
import { z } from 'zod';
import { SeverityValues } from '../../schemas/generated.js';
import { RULE_CATALOGUE, RULE_IDS, type RuleCatalogue } from '../detectors/registry.js';
import { positiveInt, regexSource, unit } from './thresholds.js';
import { timeZoneProblem } from '../timeZone.js';



// The catalogue is built by the registry from each detector's declaration. Re-exported (live bindings):
// this module reads it only when called, so the registry and the detectors may import this module's types.
export { RULE_CATALOGUE, RULE_IDS } from '../detectors/registry.js';
export type RuleId = keyof RuleCatalogue;
export type ThresholdsOf<Id extends RuleId> = z.infer<RuleCatalogue[Id]['thresholds']>;
/** The rule ids whose thresholds schema is `Schema` (e.g. every SpikeThresholds rule). */
export type RuleIdWith<Schema> = { [Id in RuleId]: RuleCatalogue[Id]['thresholds'] extends Schema ? Id : never }[RuleId];

function ruleSchema<Id extends RuleId>(id: Id) {
  const entry = RULE_CATALOGUE[id];
  return z
    .object({
      id: z.literal(id),
      detector: z.literal(entry.detector),
      enabled: z.boolean(),
      description: z.string().min(1),
      /** The highest severity this rule raises; weaker scores step it down. */
      severity: z.enum(SeverityValues),
      /** owasp-llm:LLM01, atlas:AML.T0051, mitre:T1041 ... */
      tags: z.array(z.string().min(1)),
      /** Agent ids (regular expressions, whole id) this rule never alerts on. */
      exceptAgents: z.array(regexSource),
      thresholds: entry.thresholds as RuleCatalogue[Id]['thresholds'],
    })
    .strict();
}

export interface RuleDef<Id extends RuleId = RuleId> {
  id: Id;
  detector: string;
  enabled: boolean;
  description: string;
  severity: (typeof SeverityValues)[number];
  tags: string[];
  exceptAgents: string[];
  thresholds: ThresholdsOf<Id>;
}

const Sensitivity = z
  .object({
    /** Label copied into alert details (pii, secret, finance...). */
    label: z.string().min(1),
    pattern: regexSource,
    /** 0..1: how much a first touch of a match adds to the score. */
    weight: unit,
    fields: z.array(z.enum(['resource', 'target', 'action'])).min(1),
  })
  .strict();

const InjectionPattern = z.object({ id: z.string().min(1), pattern: regexSource, weight: unit }).strict();

const Normalize = z.object({ pattern: regexSource, replace: z.string() }).strict();

/**
 * Rules that see one change from different sides (a workload that doubles moves the agent's rate, each
 * action's rate and the slow-ramp level at once): for an agent, their findings within the cooldown are one
 * incident, one alert id, so the SOC gets one alert for one change, with the rules that joined it.
 */
const IncidentGroup = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case letters, digits, dots and dashes'),
    description: z.string().min(1),
    rules: z.array(z.string().min(1)).min(2),
  })
  .strict();

/** An IANA zone name (follows daylight saving) or a fixed offset; checked against the runtime's time-zone data. */
const TimeZoneName = z.string().superRefine((name, ctx) => {
  const problem = timeZoneProblem(name);
  if (problem !== null) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

const TimeZones = z
  .object({
    default: TimeZoneName,
    /** Role name -> zone: every agent of the role (peers share a profile, so a role-level zone keeps them aligned). */
    roles: z.record(TimeZoneName),
    /** Agent id -> zone, over its role's. */
    agents: z.record(TimeZoneName),
  })
  .strict();

/** Keys that were replaced: a rules file that still has one gets this message instead of "unknown key". */
const REPLACED_ENGINE_KEYS: Record<string, string> = {
  timezoneOffsetMinutes:
    "replaced by engine.timezones (default, roles, agents): write the offset as engine.timezones.default, e.g. '+09:00' for 540, or an IANA name such as 'Asia/Tokyo' (follows daylight saving)",
};

export const RulesSchema = z
  .object({
    version: z.literal(1),
    engine: z
      .object({
        /** Width of a time bucket (event time). Counts and volumes are compared bucket by bucket. */
        bucketMs: positiveInt,
        /** New agents learn this long before first-seen and own-baseline alerts (peer baselines cover them meanwhile). */
        learningPeriodMs: positiveInt,
        /** Repeat firings of a rule for an agent within this time are one incident (one alert id with a count). */
        cooldownMs: positiveInt,
        /** Agents' local time, for hour-of-day / weekday profiles and off-hours: the agent's own zone, else its role's, else the default. */
        timezones: TimeZones,
        /** Distinct action names tracked per agent; more fold into "(other)" so state stays bounded. */
        maxActionSeriesPerAgent: positiveInt,
      })
      .strict(),
    baseline: z
      .object({
        /** Closed buckets in the rolling window (median/MAD, mean/std). */
        windowBuckets: z.number().int().min(5).max(1000),
        /** Closed buckets needed before a series is compared with its own history. */
        warmupBuckets: positiveInt,
        /** Observations are capped at expected + capZ x spread before they are learned (poisoning resistance). */
        capZ: z.number().positive(),
        /** EWMA weight of the hour-of-day x day-class (weekday/weekend) profile. */
        seasonalAlpha: z.number().positive().max(1),
        /** Samples needed in a profile slot before it is trusted. */
        seasonalMinSamples: positiveInt,
        /** Share of the window's standard deviation used as spread when the MAD is smaller (sparse series). */
        stdShare: unit,
        /** Spread is at least this fraction of the expected value. */
        relSpreadFloor: unit,
        /** EWMA weight of the role (peer) profiles, per agent-bucket. */
        peerAlpha: z.number().positive().max(1),
        /** Agent-buckets needed in a peer profile slot before new agents are compared with it. */
        peerMinSamples: positiveInt,
        /**
         * Totals over hours against the expected totals (baseline/accumulation.ts), for the volume, error and agent-rate
         * series: a total that no single bucket shows still alerts, with the horizon in the evidence.
         */
        accumulation: z
          .object({
            /** Horizons in whole hours, ascending; [] turns it off. */
            horizonsHours: z.array(z.number().int().min(1).max(24)).max(4).refine((h) => h.every((x, i) => i === 0 || x > h[i - 1]!), 'ascending, no repeats'),
            /** z of the total's excess over the expected total (in the total's own noise), against the series' history of it. */
            z: z.number().positive(),
            /** And the total at least this multiple of the expected total. */
            minRatio: z.number().min(1),
          })
          .strict(),
      })
      .strict(),
    unusualAccess: z
      .object({
        /** An agent forgets a resource/target/action it has not touched for this long. */
        seenTtlMs: positiveInt,
        /** Bound of each per-agent seen-set (oldest forgotten first). */
        maxSeenPerKind: positiveInt,
        /** Bound of each per-role seen-set. */
        maxPeerItemsPerKind: positiveInt,
        /** Used by at least this share of the role's agents = common in the peer group. */
        peerCommonShare: unit,
        /** Weight of peer rarity in the score. */
        rarityWeight: unit,
        /** Agents that meet new things daily (a web researcher) are less surprising: new items per day at which surprise halves. */
        noveltyPerDayHalf: z.number().positive(),
        /**
         * A rollout: a non-sensitive item that another agent of the role, past its learning period, began using within
         * this window is half as surprising (0 = off).
         */
        rolloutWindowMs: z.number().int().nonnegative(),
      })
      .strict(),
    /** Sensitive resources/targets/actions: a first touch of one is scored higher. */
    sensitivity: z.array(Sensitivity),
    /** Never "unusual" (whole-string regular expressions). */
    allowlists: z.object({ resources: z.array(regexSource), targets: z.array(regexSource), actions: z.array(regexSource) }).strict(),
    /** Rewrites applied to resources before they are remembered (ids and numbers collapse to one name). */
    normalize: z.array(Normalize),
    /** Prompt-injection markers looked for in event.text. */
    injectionPatterns: z.array(InjectionPattern),
    /** Rules whose findings on one agent within the cooldown are one incident (one alert). */
    incidentGroups: z.array(IncidentGroup),
    rules: z.array(z.unknown()),
  })
  .strict();

export type RulesBody = Omit<z.infer<typeof RulesSchema>, 'rules'>;
export type Rules = RulesBody & { rules: RuleDef[] };
export type SensitivityPattern = z.infer<typeof Sensitivity>;
export type InjectionPatternDef = z.infer<typeof InjectionPattern>;
export type IncidentGroupDef = z.infer<typeof IncidentGroup>;

function formatPath(path: (string | number)[], rules: unknown[]): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    if (typeof part === 'number') {
      const rule = i === 1 && path[0] === 'rules' ? rules[part] : undefined;
      const id = rule && typeof rule === 'object' && typeof (rule as { id?: unknown }).id === 'string' ? (rule as { id: string }).id : undefined;
      out += id ? `[${part} id=${id}]` : `[${part}]`;
    } else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}

function issueText(issue: z.ZodIssue, rules: unknown[]): string {
  const where = formatPath(issue.path, rules);
  if (issue.code === z.ZodIssueCode.unrecognized_keys) return `${where}: unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  return `${where}: ${issue.message}`;
}

/** Validate a complete rules object. Returns the typed rules or the list of problems (each names its key). */
export function validateRules(input: unknown): { ok: true; rules: Rules } | { ok: false; issues: string[] } {
  const { body: current, replaced } = withoutReplacedKeys(input);
  const body = RulesSchema.safeParse(current);
  const rawRules = input && typeof input === 'object' && Array.isArray((input as { rules?: unknown }).rules) ? ((input as { rules: unknown[] }).rules) : [];
  const issues: string[] = [...replaced, ...(body.success ? [] : body.error.issues.map((i) => issueText(i, rawRules)))];
  const rules: RuleDef[] = [];
  const seen = new Set<string>();
  rawRules.forEach((raw, index) => {
    const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
    if (typeof id !== 'string' || !(id in RULE_CATALOGUE)) {
      issues.push(`rules[${index}].id: unknown rule id ${JSON.stringify(id)} (known: ${RULE_IDS.join(', ')})`);
      return;
    }
    if (seen.has(id)) issues.push(`rules[${index} id=${id}].id: duplicate rule id`);
    seen.add(id);
    const parsed = ruleSchema(id as RuleId).safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push(issueText({ ...issue, path: ['rules', index, ...issue.path] }, rawRules));
    } else rules.push(parsed.data as RuleDef);
  });
  if (body.success) issues.push(...incidentGroupIssues(body.data.incidentGroups));
  if (issues.length > 0 || !body.success) return { ok: false, issues };
  return { ok: true, rules: { ...body.data, rules } };
}

/** The input without replaced engine keys (so zod reports only what is left), and one issue per replaced key found. */
function withoutReplacedKeys(input: unknown): { body: unknown; replaced: string[] } {
  const engine = input && typeof input === 'object' ? (input as { engine?: unknown }).engine : undefined;
  if (!engine || typeof engine !== 'object') return { body: input, replaced: [] };
  const found = Object.keys(REPLACED_ENGINE_KEYS).filter((key) => key in engine);
  if (found.length === 0) return { body: input, replaced: [] };
  const kept = { ...(engine as Record<string, unknown>) };
  for (const key of found) delete kept[key];
  return { body: { ...(input as object), engine: kept }, replaced: found.map((key) => `engine.${key}: ${REPLACED_ENGINE_KEYS[key]}`) };
}

/** Every grouped rule exists, and a rule is in one group at most (else its incident would be ambiguous). */
function incidentGroupIssues(groups: readonly IncidentGroupDef[]): string[] {
  const issues: string[] = [];
  const owner = new Map<string, string>();
  groups.forEach((group, g) => {
    if (groups.findIndex((other) => other.id === group.id) !== g) issues.push(`incidentGroups[${g}].id: duplicate group id ${JSON.stringify(group.id)}`);
    group.rules.forEach((ruleId, r) => {
      const at = `incidentGroups[${g} id=${group.id}].rules[${r}]`;
      if (!(ruleId in RULE_CATALOGUE)) issues.push(`${at}: unknown rule id ${JSON.stringify(ruleId)} (known: ${RULE_IDS.join(', ')})`);
      else if (owner.has(ruleId)) issues.push(`${at}: ${ruleId} is already in group ${owner.get(ruleId)} (a rule joins one group at most)`);
      else owner.set(ruleId, group.id);
    });
  });
  return issues;
}

export { getRule } from './lookup.js';
