import type { Command } from 'commander';
import { ALL_INCIDENT_TYPES, BENIGN_KINDS, type BenignKind, type IncidentType } from '../simulate/scenario/generator.js';
import { parseBenignKinds, parseIncidentTypes } from '../simulate/scenario/kindList.js';
import { simulate } from '../simulate/run.js';
import { configFrom, progress, type GlobalOptions } from './common.js';

const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
};

export function registerSimulate(program: Command, globals: () => GlobalOptions): void {
  program
    .command('simulate')
    .description('publish a simulated fleet (signed events, daily and weekly rhythm, scripted incidents) to the configured Kafka, in compressed time; or write it as JSONL for `warden replay`')
    .option('--agents <n>', 'agents in the fleet (roles: support, finance, research, ...)', int('agents', 1, 100_000), 50)
    .option('--days <n>', 'simulated days, ending now', int('days', 1, 29), 7)
    .option('--duration <seconds>', 'wall-clock seconds to play the simulated days in', int('duration', 1), 60)
    .option('--seed <n>', 'same seed, same fleet and incidents', int('seed', 0), 7)
    .option('--incidents <n>', 'incidents of each type (0 = normal traffic only)', int('incidents', 0, 100), 1)
    .option('--types <list>', `incident kinds, comma-separated (default all, classic and evasions: ${ALL_INCIDENT_TYPES.join(', ')})`, parseIncidentTypes)
    .option('--benign <n>', 'labelled benign cases of each kind (0 = none)', int('benign', 0, 100), 0)
    .option('--benign-kinds <list>', `benign kinds, comma-separated (default all: ${BENIGN_KINDS.join(', ')})`, parseBenignKinds)
    .option('--keyring <file>', 'agents\' signing keys (JSON {agentId: {kid: secret}}); created or extended with new agents, mode 0600', '.warden/simulate-keyring.json')
    .option('--out <file.jsonl>', 'write the events to this file instead of publishing (no Kafka needed)')
    .option('--labels <file.json>', 'also write the labelled incidents (agent, type, start, end) here')
    .addHelpText('after', `
Examples:
  warden simulate --agents 200 --duration 120          # against the configured cluster
  warden simulate --out week.jsonl --labels week.json  # a file for \`warden replay week.jsonl\`

The detector verifies signatures with the same keyring: start it with
WARDEN_KEYRING_FILE pointing at --keyring. Event time ends now, because a live
detector refuses events older than 30 days or ahead of its clock.`)
    .action(async (opts: { agents: number; days: number; duration: number; seed: number; incidents: number; types?: IncidentType[]; benign: number; benignKinds?: BenignKind[]; keyring: string; out?: string; labels?: string }) => {
      const r = await simulate(
        configFrom(globals()),
        { agents: opts.agents, days: opts.days, seed: opts.seed, incidentsPerType: opts.incidents, types: opts.types ?? [...ALL_INCIDENT_TYPES], benignPerKind: opts.benign, benignKinds: opts.benignKinds, durationMs: opts.duration * 1000, keyringFile: opts.keyring, outFile: opts.out, labelsFile: opts.labels },
        progress,
      );
      progress(`simulate: ${r.published ? `${r.published.toLocaleString('en-US')} events published to ${r.target}` : `${r.events.toLocaleString('en-US')} events written to ${r.target}`}; incidents:`);
      for (const i of r.incidents) process.stdout.write(`${JSON.stringify({ id: i.id, type: i.type, agentId: i.agentId, start: new Date(i.start).toISOString() })}\n`);
    });
}
