/**
 * The labelled evaluation: `npx tsx test/scenarios/eval.ts [--seed N] [--agents N] [--days N] [--incidents N] [--types a,b] [--benign N] [--benign-kinds a,b] [--rules FILE] [--role-zones [--no-zone-rules]] [--missed] [--false] [--strict]`
 * (npm run eval; `--help` lists the kinds). Generates the scenario (every
 * incident kind, classic and evasion, and every benign kind unless told
 * otherwise), runs the engine over it and prints per incident kind recall,
 * precision and time to detect (the evasions in a table of their own), the
 * false alerts per agent-week, and the alerts each benign case drew against
 * its budget (`--benign N` cases of each kind, default 20; 0 = none). `--missed` / `--false`
 * list missed incidents (and benign cases over budget) and false alerts;
 * `--strict` exits 1 when a target is missed. `--role-zones` puts each role in one of three zones drawn from the
 * seed (the generator's `roleZones`) and gives the rules those zones (`engine.timezones.roles`), unless
 * `--no-zone-rules` (the engine then reads every agent in the rules' default zone, as one fleet-wide zone did).
 */
import { loadRules, resolveRules, type Rules } from '../../shared/detection/index.js';
import { ALL_INCIDENT_TYPES, BENIGN_KINDS, generateScenario } from '../../cli/simulate/scenario/generator.js';
import { parseBenignKinds, parseIncidentTypes } from '../../cli/simulate/scenario/kindList.js';
import { evaluate, formatReport } from './evaluate.js';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

if (argv.includes('--help')) {
  process.stdout.write(`npm run eval -- [--seed N] [--agents N] [--days N] [--incidents N] [--types a,b] [--benign N] [--benign-kinds a,b] [--rules FILE] [--role-zones [--no-zone-rules]] [--missed] [--false] [--strict]
  --types         incident kinds (default all): ${ALL_INCIDENT_TYPES.join(', ')}
  --benign-kinds  benign kinds (default all): ${BENIGN_KINDS.join(', ')}
  --benign N      cases of each benign kind (default 20, 0 = none)
  --role-zones    each role in one of three zones (Asia/Tokyo, UTC, America/Bogota, drawn from the seed), configured in the rules
  --no-zone-rules with --role-zones: leave the rules' zones as they are (one fleet-wide zone)
`);
  process.exit(0);
}

const rules = loadRules(arg('rules'));
const typesArg = arg('types');
const benignArg = arg('benign-kinds');
let kinds;
try {
  kinds = { types: typesArg ? parseIncidentTypes(typesArg) : [...ALL_INCIDENT_TYPES], benignKinds: benignArg ? parseBenignKinds(benignArg) : [...BENIGN_KINDS] };
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const roleZones = argv.includes('--role-zones');
const options = { seed: Number(arg('seed') ?? 42), agents: Number(arg('agents') ?? 60), days: Number(arg('days') ?? 8), incidentsPerType: Number(arg('incidents') ?? 20), benignPerKind: Number(arg('benign') ?? 20), ...kinds, rules, roleZones };
const g0 = performance.now();
const scenario = generateScenario(options);
const genMs = performance.now() - g0;
const zoneRules = roleZones && !argv.includes('--no-zone-rules');
const judgedBy = zoneRules ? withRoleZones(rules, scenario.timeZones) : rules;
const report = evaluate(scenario, judgedBy);
const zones = roleZones ? `; role zones ${Object.entries(scenario.timeZones).map(([role, zone]) => `${role}=${zone}`).join(', ')} (${zoneRules ? 'in the rules' : 'not in the rules'})` : '';
process.stdout.write(`Scenario: seed ${options.seed}, ${scenario.agents.length} agents (${new Set(scenario.agents.map((a) => a.role)).size} roles), ${options.days} days, ${scenario.incidents.length} incidents, ${scenario.benign.length} benign cases, ${scenario.events.length} events (generated in ${(genMs / 1000).toFixed(1)} s)${zones}\n\n`);
process.stdout.write(`${formatReport(report)}\n`);
if (argv.includes('--missed')) {
  for (const m of report.missed) process.stdout.write(`missed ${m.id} ${m.type}/${m.variant} ${m.agentId} at ${new Date(m.start).toISOString()}${m.duringWarmup ? ' (warm-up)' : ''}\n`);
  for (const { item, alerts, backgroundAlerts } of report.overBudget) process.stdout.write(`over budget ${item.id} ${item.kind}/${item.variant} ${item.agentId} at ${new Date(item.start).toISOString()} (background: ${backgroundAlerts.toFixed(1)} alerts expected with no change): ${alerts.map((a) => `${a.alert.ruleId} (+${Math.round((a.raisedAt - item.start) / 60_000)} min, ${a.alert.severity})`).join(', ')}\n`);
}
if (argv.includes('--false')) {
  for (const r of report.raised) if (!r.incident) process.stdout.write(`false ${r.alert.ruleId} ${r.alert.agentId} at ${new Date(r.raisedAt).toISOString()} score ${r.alert.score}: ${r.alert.title}\n`);
}
const ok = report.rows.every((r) => r.recall >= 0.95 && r.withinTarget >= 0.95) && report.falseAlertsPerAgentWeek <= 0.5 && report.benignRows.every((b) => b.withinBudget === 1);
process.stdout.write(ok ? '\nAll targets met.\n' : '\nSome targets missed.\n');
if (argv.includes('--strict')) process.exitCode = ok ? 0 : 1;

/** The rules with the scenario's role zones added (over any the rules file already names). */
function withRoleZones(base: Rules, timeZones: Record<string, string>): Rules {
  const { rules: ruleList, ...sections } = base;
  const timezones = { ...base.engine.timezones, roles: { ...base.engine.timezones.roles, ...timeZones } };
  return resolveRules({ ...sections, engine: { ...base.engine, timezones }, rules: ruleList }, 'eval --role-zones');
}
