import type { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from '../stack/index.js';
import { configFrom, progress, type GlobalOptions } from './common.js';

export function registerStack(program: Command, globals: () => GlobalOptions): void {
  const stack = program.command('stack').description('run a local Kafka (KRaft), Apicurio schema registry and Redis on 127.0.0.1 without Docker');
  stack
    .command('up')
    .description('start what is not running yet (downloads the jars with Maven on first use) and wait until it is ready')
    .action(async () => {
      const r = await stackUp(configFrom(globals()), progress);
      process.stdout.write(
        `stack ready in ${(r.elapsedMs / 1000).toFixed(1)} s: kafka ${r.kafkaBrokers.join(',')}, registry ${r.registryUrl}, redis ${r.redisUrl}` +
          `${r.startedNow.length ? ` (started ${r.startedNow.join(', ')})` : ' (all already running)'}\n`,
      );
    });
  stack
    .command('down')
    .description('stop what `stack up` started (never a server it found running)')
    .action(async () => {
      const stopped = await stackDown(configFrom(globals()), progress);
      process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : 'nothing to stop\n');
    });
  stack
    .command('status')
    .description('show which parts of the stack answer')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await stackStatus(configFrom(globals()));
      if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else for (const s of status) process.stdout.write(`${s.component.padEnd(9)} ${s.up ? 'up  ' : 'down'} ${s.endpoint}${s.managed ? ' (started by warden)' : ''}${s.version ? ` ${s.version}` : ''}\n`);
      if (status.some((s) => !s.up)) process.exitCode = 3;
    });
}
