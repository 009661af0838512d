/**
 * `warden replay <events.jsonl> [--rules FILE]`: the detection engine over a
 * file, no Kafka or Redis. One AgentActionEvent per line in its JSON form
 * (field names as in schemas/AgentActionEvent.avsc; optional fields may be
 * left out; an extra field "verification" = valid | missing | invalid |
 * unknown-key says what the signature check found, default valid). Prints
 * alerts as JSON lines on stdout; a bad line is skipped and counted (the
 * first ones are reported on stderr with their number), or stops the run
 * with --strict (exit code 2). A line over the detector intake's record
 * limit is refused before it is parsed, as the intake refuses such a record.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import avro from 'avsc';
import type { Command } from 'commander';
import { createEngine, loadRules } from '../../shared/detection/index.js';
import { InvalidEventError } from '../../shared/errors/index.js';
import { avroSchemas, type AgentActionEvent, type Alert } from '../../shared/schemas/generated.js';
import type { Verification } from '../../shared/signing/index.js';
import { DEFAULT_LIMITS } from '../../services/detector/intake.js';
import { configFrom, type GlobalOptions } from './common.js';
import { BadLineReport, ProgressLine } from './replayReport.js';

/** The intake refuses records over this many bytes; a JSON line of the same event is larger still, so this is generous. */
export const MAX_LINE_BYTES = DEFAULT_LIMITS.maxMessageBytes;

const eventType = avro.Type.forSchema(avroSchemas.AgentActionEvent as unknown as avro.Schema);
const VERIFICATIONS = new Set(['valid', 'missing', 'invalid', 'unknown-key']);
const OPTIONAL_DEFAULTS: Partial<AgentActionEvent> = {
  sessionId: null, principal: null, resource: null, target: null, amount: null, currency: null, text: null,
  bytesIn: 0, bytesOut: 0, records: 0, tokens: 0, attributes: {},
};

/** Parses one JSON line into an event and its verification, or throws InvalidEventError naming the field. */
export function parseEventLine(line: string): { event: AgentActionEvent; verification: Verification } {
  const bytes = Buffer.byteLength(line);
  if (bytes > MAX_LINE_BYTES) throw new InvalidEventError('event.oversized', `line is ${bytes} bytes > ${MAX_LINE_BYTES} (the detector intake's limit)`);
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new InvalidEventError('event.undecodable', 'not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidEventError('event.invalid', 'expected a JSON object');
  const { verification = 'valid', ...rest } = raw as Record<string, unknown>;
  if (typeof verification !== 'string' || !VERIFICATIONS.has(verification)) throw new InvalidEventError('event.invalid', `verification must be one of ${[...VERIFICATIONS].join(', ')}`, 'verification');
  const event = { ...OPTIONAL_DEFAULTS, ...rest } as AgentActionEvent;
  const paths: string[] = [];
  if (!eventType.isValid(event, { errorHook: (path) => paths.push(path.join('.') || '(record)') })) {
    throw new InvalidEventError('event.schema-mismatch', `does not match AgentActionEvent at ${paths.slice(0, 3).join(', ')}`, paths[0]);
  }
  return { event, verification: verification as Verification };
}

export interface ReplaySummary { lines: number; events: number; badLines: number; alerts: number }

/** Runs the engine over JSON lines; calls onAlert for every alert (raised or updated), in order. */
export async function replay(
  lines: AsyncIterable<string>,
  rulesFile: string | undefined,
  onAlert: (a: Alert) => void,
  onBadLine: (lineNo: number, err: Error) => boolean,
  onProgress: (s: ReplaySummary) => void = () => undefined,
): Promise<ReplaySummary> {
  const engine = createEngine(loadRules(rulesFile));
  const summary: ReplaySummary = { lines: 0, events: 0, badLines: 0, alerts: 0 };
  let lastTs = 0;
  for await (const line of lines) {
    summary.lines += 1;
    if (line.trim() === '') continue;
    let parsed;
    try {
      parsed = parseEventLine(line);
    } catch (err) {
      summary.badLines += 1;
      if (!onBadLine(summary.lines, err as Error)) break;
      continue;
    }
    summary.events += 1;
    onProgress(summary);
    lastTs = Math.max(lastTs, parsed.event.timestamp);
    for (const a of engine.process({ ...parsed.event, verification: parsed.verification })) {
      summary.alerts += 1;
      onAlert(a);
    }
  }
  // The stream's end closes the open buckets.
  for (const a of engine.flush(lastTs + engine.rules.engine.bucketMs)) {
    summary.alerts += 1;
    onAlert(a);
  }
  return summary;
}

export function registerReplay(program: Command, globals: () => GlobalOptions): void {
  program
    .command('replay')
    .description('run the detection engine over a JSONL file of events (no Kafka, no Redis) and print alerts as JSON lines')
    .argument('<events.jsonl>', 'one AgentActionEvent per line (JSON form; "-" for stdin)')
    .option('--rules <file>', 'detection rules YAML (default: built-in, same as rules/detection.yaml)')
    .option('--strict', 'stop at the first bad line (exit code 2); without it bad lines are skipped, counted, and the exit code is 0')
    .action(async (file: string, opts: { rules?: string; strict?: boolean }) => {
      // Nothing here needs Kafka or Redis, but a broken configuration is reported here as everywhere else.
      configFrom(globals());
      const input = file === '-' ? process.stdin : createReadStream(file);
      input.on('error', (err: Error) => {
        process.stderr.write(`warden: cannot read ${file}: ${err.message}\n`);
        process.exit(1);
      });
      const write = (text: string) => process.stderr.write(text);
      const progress = new ProgressLine({ tty: Boolean(process.stderr.isTTY), write });
      const bad = new BadLineReport(file, (text) => {
        progress.clear();
        write(text);
      });
      const summary = await replay(
        createInterface({ input, crlfDelay: Infinity }),
        opts.rules,
        (a) => process.stdout.write(`${JSON.stringify(a)}\n`),
        (n, err) => {
          bad.add(n, err);
          return !opts.strict;
        },
        (s) => progress.update(s.events, s.alerts),
      );
      progress.clear();
      const reasons = bad.finish();
      const stopped = opts.strict && summary.badLines > 0;
      write(`replay: ${summary.events} events, ${summary.alerts} alerts, ${summary.badLines} bad lines ${stopped ? '(stopped at the first, --strict)' : 'skipped'}${reasons}\n`);
      if (stopped) process.exitCode = 2;
    });
}
