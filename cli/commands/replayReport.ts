/**
 * What `warden replay` tells a person on stderr while stdout carries the
 * alerts: the first bad lines (capped, so 1 MB of random bytes is not 7,000
 * lines of noise), a count of bad lines by reason, and progress that is a
 * line rewritten in place on a terminal and an occasional plain line in a
 * log (never one per event).
 */
import { WardenError } from '../../shared/errors/index.js';

export interface ProgressOptions { tty: boolean; write: (text: string) => void; now?: () => number; ttyIntervalMs?: number; plainIntervalMs?: number }

export class ProgressLine {
  readonly #o: Required<ProgressOptions>;
  #last: number;
  #drawn = false;

  constructor(options: ProgressOptions) {
    this.#o = { now: Date.now, ttyIntervalMs: 250, plainIntervalMs: 10_000, ...options };
    this.#last = this.#o.now();
  }

  update(events: number, alerts: number): void {
    const t = this.#o.now();
    if (t - this.#last < (this.#o.tty ? this.#o.ttyIntervalMs : this.#o.plainIntervalMs)) return;
    this.#last = t;
    const text = `replay: ${events.toLocaleString('en-US')} events, ${alerts.toLocaleString('en-US')} alerts so far`;
    if (this.#o.tty) {
      this.#o.write(`\r\x1b[2K${text}`);
      this.#drawn = true;
    } else this.#o.write(`${text}\n`);
  }

  /** Clears the in-place line before other output. */
  clear(): void {
    if (this.#drawn) this.#o.write('\r\x1b[2K');
    this.#drawn = false;
  }
}

export class BadLineReport {
  readonly #byReason = new Map<string, number>();
  #shown = 0;

  constructor(
    private readonly source: string,
    private readonly write: (text: string) => void,
    private readonly maxShown = 20,
  ) {}

  add(lineNo: number, err: Error): void {
    const reason = err instanceof WardenError ? err.reason : 'error';
    this.#byReason.set(reason, (this.#byReason.get(reason) ?? 0) + 1);
    if (this.#shown < this.maxShown) {
      this.#shown += 1;
      this.write(`${this.source}:${lineNo}: ${err.message}\n`);
    }
  }

  get count(): number {
    return [...this.#byReason.values()].reduce((a, b) => a + b, 0);
  }

  /** "N more bad lines not shown" when capped; returns the count by reason (most first) for the summary line. */
  finish(): string {
    const hidden = this.count - this.#shown;
    if (hidden > 0) this.write(`${this.source}: ${hidden} more bad lines not shown\n`);
    if (this.count === 0) return '';
    return ` (${[...this.#byReason.entries()].sort(([ra, a], [rb, b]) => b - a || ra.localeCompare(rb)).map(([r, n]) => `${n} ${r}`).join(', ')})`;
  }
}
