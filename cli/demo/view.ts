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

export function renderTable(rows: IncidentRow[]): string {
  const header: IncidentRow = { incident: 'incident', agentId: 'agent', detected: true, timeToDetect: 'time to detect', alert: 'alert (severity now)', response: 'response', stopped: 'stopped by kill switch' };
  const cells = [header, ...rows].map((r, i) => [r.incident, r.agentId, i === 0 ? 'detected' : r.detected ? 'yes' : 'NO', r.timeToDetect, r.alert, r.response, r.stopped]);
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((v, c) => v.padEnd(widths[c]!)).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
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
