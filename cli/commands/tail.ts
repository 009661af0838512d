/**
 * `warden tail alerts|commands|dlq|siem`: follow a pipeline topic, pretty or
 * as JSON lines. Reads with a throwaway consumer group that never commits, so
 * tailing never moves a service's offsets.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { createKafka, type KafkaMessage } from '../../shared/kafka/index.js';
import { isRetriable } from '../../shared/errors/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import type { Alert, QuarantineCommand } from '../../shared/schemas/generated.js';
import { configFrom, progress, type GlobalOptions } from './common.js';

const TOPICS = { alerts: 'alerts', commands: 'quarantine', dlq: 'dlq', siem: 'siem' } as const;
type What = keyof typeof TOPICS;

const SEVERITY_COLOUR: Record<string, string> = { CRITICAL: '\x1b[41;97m', HIGH: '\x1b[31m', MEDIUM: '\x1b[33m', LOW: '\x1b[36m', INFO: '\x1b[2m' };

export function formatAlert(a: Alert, colour: boolean): string {
  const c = colour ? (SEVERITY_COLOUR[a.severity] ?? '') : '';
  const r = colour ? '\x1b[0m' : '';
  const e = a.evidence;
  const baseline = e.baselineMedian !== null ? ` baseline median ${round(e.baselineMedian)} (mean ${round(e.baselineMean)}, n=${e.sampleSize}, ${e.baselineSource})` : '';
  return `${new Date(a.lastSeen).toISOString()} ${c}${a.severity.padEnd(8)}${r} ${a.agentId} ${a.detector}/${a.ruleId} score=${a.score} ×${a.count} — ${a.title}: observed ${round(e.observed)}${baseline} [${a.alertId.slice(0, 12)}]`;
}

export function formatCommand(q: QuarantineCommand): string {
  const caps = q.revokedCapabilities.length ? ` revoke=${q.revokedCapabilities.join(',')}` : '';
  const exp = q.expiresAt ? ` until ${new Date(q.expiresAt).toISOString()}` : '';
  return `${new Date(q.issuedAt).toISOString()} ${q.type.padEnd(10)} ${q.agentId}${caps}${exp} by ${q.issuedBy}: ${q.reason} [${q.commandId.slice(0, 12)}]`;
}

function round(v: number | null): string {
  return v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export function registerTail(program: Command, globals: () => GlobalOptions): void {
  program
    .command('tail')
    .description('follow alerts, isolation commands, dead letters or SIEM records')
    .argument('<what>', `one of: ${Object.keys(TOPICS).join(', ')}`)
    .option('--json', 'one JSON object per line')
    .option('--from-beginning', 'start at the oldest record instead of new ones')
    .option('-n, --limit <n>', 'stop after n records', (v) => Number.parseInt(v, 10))
    .action(async (what: string, opts: { json?: boolean; fromBeginning?: boolean; limit?: number }) => {
      if (!(what in TOPICS)) throw new Error(`tail: unknown stream "${what}" (use ${Object.keys(TOPICS).join(', ')})`);
      const config = configFrom(globals());
      const topic = config.topics[TOPICS[what as What]].name;
      const registry = createRegistry(config);
      // kafkajs's own log lines are no help to someone tailing; a failure is reported once, below, in words.
      const consumer = createKafka(config, createLogger('tail', { level: 'silent' })).consumer({ groupId: `warden-tail-${randomUUID()}` });
      const colour = Boolean(process.stdout.isTTY) && !opts.json;
      let seen = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((r) => (finish = r));
      const print = async (m: KafkaMessage) => {
        if (what === 'dlq') {
          const h = Object.fromEntries(Object.entries(m.headers ?? {}).filter(([k]) => k.startsWith('warden-dlq-')).map(([k, v]) => [k.replace('warden-dlq-', ''), v?.toString()]));
          const rec = { key: m.key?.toString() ?? null, bytes: m.value?.length ?? 0, ...h };
          return opts.json ? JSON.stringify(rec) : `${h.reason ?? '?'} key=${rec.key} ${rec.bytes} bytes from ${h['source-topic']}/${h['source-partition']}@${h['source-offset']}: ${h.detail ?? ''}`;
        }
        if (what === 'siem') return m.value?.toString() ?? '';
        const v = await registry.decode(m.value!);
        if (opts.json) return JSON.stringify(v);
        return what === 'alerts' ? formatAlert(v as Alert, colour) : formatCommand(v as QuarantineCommand);
      };
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: Boolean(opts.fromBeginning) });
      } catch (err) {
        throw unreachable(err, config.kafka.brokers);
      }
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (opts.limit !== undefined && seen >= opts.limit) return;
          process.stdout.write(`${await print(message)}\n`);
          seen += 1;
          if (opts.limit !== undefined && seen >= opts.limit) finish();
        },
      });
      process.once('SIGINT', finish);
      process.once('SIGTERM', finish);
      progress(`tail: waiting for records on ${topic} (${opts.fromBeginning ? 'from the oldest' : 'new ones only; --from-beginning for older ones'}; Ctrl-C to stop)`);
      await finished;
      await consumer.disconnect();
    });
}

/** Kafka not answering becomes one sentence with the next step; anything else is passed on as it is. */
function unreachable(err: unknown, brokers: string[]): Error {
  if (!isRetriable(err)) return err as Error;
  const cause = (err as Error).message.replace(/^Connection error: /, '');
  return new Error(`cannot reach Kafka at ${brokers.join(',')} (${cause}). Is the stack running? Start it with \`warden stack up\`, or point --config / WARDEN_KAFKA_BROKERS at your cluster`);
}
