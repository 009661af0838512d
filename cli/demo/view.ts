/**
 * The demo's terminal view: a live panel redrawn in place on a TTY, or one
 * plain progress line every few seconds elsewhere (CI logs stay readable).
 * Pure rendering from a snapshot; the demo feeds it.
 */
export interface LiveSnapshot {
  elapsedMs: number;
  simulatedFraction: number;
  simulatedTimeMs: number;
  eventsPublished: number;
  eventsPerSecond: number;
  alertsBySeverity: Record<string, number>;
  agentsIsolated: number;
  agentsTotal: number;
  lastAlerts: string[];
}

export interface IncidentRow {
  incident: string;
  agentId: string;
  detected: boolean;
  timeToDetect: string;
  alert: string;
  response: string;
  stopped: string;
}

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];

export function progressBar(fraction: number, width = 30): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

export function renderLive(s: LiveSnapshot): string[] {
  const sev = SEVERITIES.map((k) => `${k.toLowerCase()} ${s.alertsBySeverity[k] ?? 0}`).join('  ');
  return [
    `simulated time ${progressBar(s.simulatedFraction)}  ${new Date(s.simulatedTimeMs).toISOString().slice(0, 16).replace('T', ' ')}  (${(s.elapsedMs / 1000).toFixed(0)} s)`,
    `events ${s.eventsPublished.toLocaleString('en-US').padStart(9)}  ${Math.round(s.eventsPerSecond).toLocaleString('en-US').padStart(7)} ev/s`,
    `alerts ${sev}`,
    `agents isolated ${s.agentsIsolated} of ${s.agentsTotal}`,
    ...s.lastAlerts.slice(-5).map((a) => `  ${a}`),
  ];
}

export function renderPlain(s: LiveSnapshot): string {
  const total = Object.values(s.alertsBySeverity).reduce((a, b) => a + b, 0);
  return `[demo] ${progressBar(s.simulatedFraction, 20)} events ${s.eventsPublished} (${Math.round(s.eventsPerSecond)}/s) alerts ${total} isolated ${s.agentsIsolated}/${s.agentsTotal}`;
}

/**
 * The closing table, at most maxWidth columns: when the cells would make it wider, the free-text columns
 * (the widest first) wrap at word boundaries onto more lines of the same row.
 */
export function renderTable(rows: IncidentRow[], maxWidth = 120): string {
  const header: IncidentRow = { incident: 'incident', agentId: 'agent', detected: true, timeToDetect: 'detected after', alert: 'alert (severity now)', response: 'response', stopped: 'stopped by kill switch' };
  const cells = [header, ...rows].map((r) => [r.incident, r.agentId, r === header ? r.timeToDetect : r.detected ? r.timeToDetect : 'NO', r.alert, r.response, r.stopped]);
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const gap = 2;
  const WRAPPABLE = [0, 3, 4, 5];
  // A column narrows down to its longest word, so ids and rule names are never cut.
  const minWidths = widths.map((_, c) => Math.max(...cells.map((row) => Math.max(...pieces(row[c]!).map((w) => w.length)))));
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  // First down to the longest word; only if that is not enough, further (a long word is then cut).
  for (const floor of [(c: number) => minWidths[c]!, () => 8]) {
    while (total() > maxWidth) {
      const widest = WRAPPABLE.filter((c) => widths[c]! > floor(c)).sort((a, b) => widths[b]! - widths[a]!)[0];
      if (widest === undefined) break;
      widths[widest] = widths[widest]! - 1;
    }
  }
  const render = (row: string[]) => {
    const wrapped = row.map((v, c) => wrap(v, widths[c]!));
    const height = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, i) => wrapped.map((w, c) => (w[i] ?? '').padEnd(widths[c]!)).join(' '.repeat(gap)).trimEnd()).join('\n');
  };
  return [render(cells[0]!), widths.map((w) => '-'.repeat(w)).join(' '.repeat(gap)), ...cells.slice(1).map(render)].join('\n');
}

/** Pieces a line may break after: words, and the items of a comma-separated list (capabilities). */
function pieces(text: string): string[] {
  return text.split(' ').flatMap((w) => w.split(/(?<=,)(?=.)/));
}

/** Wraps text to lines of at most width characters at spaces and after commas (a longer piece is cut). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  let rest = text;
  for (const piece of pieces(text)) {
    // A space before this piece in the original text, unless it continues a comma list.
    const spaced = line !== '' && rest.startsWith(' ');
    rest = rest.slice(rest.indexOf(piece) + piece.length);
    let p = piece;
    const joined = `${line}${spaced ? ' ' : ''}${p}`;
    if (joined.length <= width) {
      line = joined;
      continue;
    }
    if (line) lines.push(line);
    while (p.length > width) {
      lines.push(p.slice(0, width));
      p = p.slice(width);
    }
    line = p;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** Redraws a block of lines in place on a TTY; prints a plain line at most every intervalMs elsewhere. */
export class LiveView {
  #lines = 0;
  #lastPlain = 0;
  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly plainIntervalMs = 5000,
  ) {}

  get tty(): boolean {
    return Boolean(this.out.isTTY) && process.env.CI !== 'true';
  }

  update(s: LiveSnapshot): void {
    if (this.tty) {
      const lines = renderLive(s);
      if (this.#lines > 0) this.out.write(`\x1b[${this.#lines}A`);
      for (const l of lines) this.out.write(`\x1b[2K${l.slice(0, (this.out.columns ?? 120) - 1)}\n`);
      this.#lines = lines.length;
    } else if (s.elapsedMs - this.#lastPlain >= this.plainIntervalMs || s.simulatedFraction >= 1) {
      this.#lastPlain = s.elapsedMs;
      this.out.write(`${renderPlain(s)}\n`);
    }
  }

  message(line: string): void {
    if (this.tty && this.#lines > 0) {
      this.out.write(`\x1b[${this.#lines}A\x1b[0J`);
      this.#lines = 0;
    }
    this.out.write(`${line}\n`);
  }
}
