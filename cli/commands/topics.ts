import type { Command } from 'commander';
import { createKafka, ensureTopics } from '../../shared/kafka/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { configFrom, type GlobalOptions } from './common.js';

export function registerTopics(program: Command, globals: () => GlobalOptions): void {
  program
    .command('topics')
    .description('create the pipeline topics from configuration (idempotent) and print them')
    .action(async () => {
      const config = configFrom(globals());
      const admin = createKafka(config, createLogger('topics', { level: 'warn' })).admin();
      await admin.connect();
      try {
        for (const t of await ensureTopics(admin, config)) {
          process.stdout.write(`${t.created ? 'created ' : 'exists  '} ${t.name.padEnd(20)} partitions=${t.partitions} ${Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
        }
      } finally {
        await admin.disconnect();
      }
    });
}
