/**
 * Per-agent sequence numbers that only go up, also across restarts: each
 * number is at least the wall clock in microseconds, so a restarted agent
 * starts above anything it sent before (unless its clock went back), and at
 * least the previous number plus one, so a burst within a microsecond still
 * climbs. Stays below 2^53 until the year 2255.
 */
export class SequenceCounter {
  #last: number;
  readonly #clockUs: () => number;

  constructor(clockUs: () => number = () => Date.now() * 1000, start = 0) {
    this.#clockUs = clockUs;
    this.#last = start;
  }

  next(): number {
    this.#last = Math.max(this.#last + 1, Math.floor(this.#clockUs()));
    return this.#last;
  }

  get last(): number {
    return this.#last;
  }
}
