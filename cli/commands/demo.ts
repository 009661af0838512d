import type { Command } from 'commander';
import { runDemo } from '../demo/run.js';
import { configFrom, type GlobalOptions } from './common.js';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
};

export function registerDemo(program: Command, globals: () => GlobalOptions): void {
  program
    .command('demo')
    .description('run the whole pipeline on a simulated fleet with scripted incidents, then show what was caught and stopped')
    .option('--agents <n>', 'agents in the fleet (at least 12)', int('agents', 12), 50)
    .option('--duration <seconds>', 'wall-clock seconds for the simulated week', int('duration', 10), 90)
    .option('--seed <n>', 'same seed, same story', int('seed', 0), 7)
    .option('--keep', 'afterwards keep the stack, the services and the web console running until Ctrl-C (prints the console URL and tokens)')
    .option('--console-port <n>', 'port of the console with --keep (0: any free port)', int('console-port', 0), 8088)
    .action(async (opts: { agents: number; duration: number; seed: number; keep?: boolean; consolePort: number }) => {
      const keep = opts.keep ? { consolePort: opts.consolePort } : undefined;
      const r = await runDemo({ agents: opts.agents, durationMs: opts.duration * 1000, seed: opts.seed, config: configFrom(globals()), keep });
      if (!r.ok) process.exitCode = 5;
    });
}
