/**
 * The logger's cost per line with redaction by key at any depth and by value,
 * side by side in one run with bare pino (the ceiling) and with the previous
 * set-up (pino's fast-redact on fixed paths, three levels). Three lines: the
 * common one (a few scalar fields and a message), an Error, and a nested
 * config-like object; with 0, 5 (a config's) and 3,000 (a 1,000-agent
 * keyring's) registered secret values. Writes to a stream that drops the
 * bytes, so only formatting is measured.
 *
 *   npx tsx bench/logging.ts [--lines 200000] [--rounds 5]
 */
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { createLogger, registerSecrets, secretCount } from '../shared/logging/index.js';
import { fmt, median, writeSection } from './lib/results.js';
import { wholeNumber } from './lib/options.js';

const values = new Command()
  .name('npx tsx bench/logging.ts')
  .description("The logger's redaction cost per line, beside bare pino (writes its section of bench/RESULTS.md)")
  .option('--lines <n>', 'log lines per round', wholeNumber(), 200_000)
  .option('--rounds <n>', 'rounds (median)', wholeNumber(), 5)
  .parse()
  .opts<{ lines: number; rounds: number }>();
const LINES = values.lines;
const ROUNDS = values.rounds;

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const OLD_KEYS = ['password', 'secret', 'secrets', 'token', 'tokens', 'authorization', 'apiKey', 'key', 'keys', 'sasl', 'signature'];
const bare = () => pino({ name: 'bench', base: { service: 'bench' } }, sink());
const before = () => pino({ name: 'bench', base: { service: 'bench' }, redact: { paths: OLD_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]), censor: '[redacted]' } }, sink());
const now = () => createLogger('bench', { level: 'info', destination: sink() });

const err = new Error('connect ECONNREFUSED 127.0.0.1:6379');
const nested = { kafka: { brokers: ['127.0.0.1:9092'], clientId: 'agent-warden', sasl: { mechanism: 'scram-sha-512', username: 'detector', password: 'pw-123456' } }, redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'warden:' }, detector: { checkpointIntervalMs: 5000, partitionsInFlight: 3 } };
const WORKLOADS: Record<string, (l: Logger, i: number) => void> = {
  common: (l, i) => l.info({ topic: 'agent.events', partition: i % 12, records: 500, agentId: `support-${i % 60}` }, 'batch processed'),
  error: (l) => l.error({ err, attempt: 3 }, 'redis unavailable; retrying'),
  nested: (l) => l.info({ config: nested }, 'config loaded'),
};

function rate(logger: Logger, work: (l: Logger, i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < LINES; i++) work(logger, i);
  return LINES / ((performance.now() - t0) / 1000);
}

/**
 * Median lines/s per logger and workload, the loggers' rounds interleaved so that a busy neighbour
 * slows them alike (this machine is shared): the ratios are what to quote.
 */
function measure(makers: Record<string, () => Logger>): Record<string, Record<string, number>> {
  const loggers = Object.entries(makers).map(([label, make]) => [label, make()] as const);
  const samples = new Map<string, number[]>();
  for (const [, l] of loggers) for (const w of Object.values(WORKLOADS)) rate(l, w); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, l] of loggers) for (const [name, w] of Object.entries(WORKLOADS)) samples.set(`${label}/${name}`, [...(samples.get(`${label}/${name}`) ?? []), rate(l, w)]);
  }
  return Object.fromEntries(loggers.map(([label]) => [label, Object.fromEntries(Object.keys(WORKLOADS).map((n) => [n, median(samples.get(`${label}/${n}`)!)]))]));
}

// The secret set is process-wide and only grows, so each phase adds secrets and measures all three side by side.
const rows: [string, Record<string, number>, Record<string, number>][] = [];
const phase = (note: string) => {
  const m = measure({ bare, before, now });
  if (rows.length === 0) rows.push(['bare pino (ceiling)', m.bare!, m.bare!], ['before: fast-redact, fixed paths', m.before!, m.bare!]);
  rows.push([`now, ${secretCount()} secret values${note}`, m.now!, m.bare!]);
};
phase('');
registerSecrets(['kafka-sasl-pw-1', 'redis-pw-22', 'hec-token-333', 'elastic-key-4444', 'registry-pw-55555']);
phase(' (a config)');
registerSecrets(Array.from({ length: 1000 }, (_, i) => `agent-${i}-hmac-secret-${(i * 7919).toString(36)}xyzw`));
phase(' (+ 1,000-agent keyring)');

const names = Object.keys(WORKLOADS);
const table = [
  `| logger | ${names.map((n) => `${n} lines/s (x ceiling)`).join(' | ')} |`,
  `| --- | ${names.map(() => '---').join(' | ')} |`,
  ...rows.map(([label, r, ceiling]) => `| ${label} | ${names.map((n) => `${fmt(r[n]!)} (${(r[n]! / ceiling[n]!).toFixed(2)})`).join(' | ')} |`),
].join('\n');
console.log(table);
writeSection(
  'logging',
  `## Logger: redaction cost per line\n\n\`npx tsx bench/logging.ts --lines ${LINES} --rounds ${ROUNDS}\` (median of ${ROUNDS} rounds, output dropped). "x ceiling" is the rate relative to bare pino measured interleaved with it (same phase, same rounds); the machine is shared, so quote the ratios.\n\n${table}`,
);
