/**
 * A bounded FIFO for events waiting to be sent. When full, `push` either
 * waits for room ('block') or drops the oldest entry ('drop-oldest'); every
 * drop is counted and reported through `onDrop`, never silent.
 */
export type OverflowPolicy = 'block' | 'drop-oldest';

export class BoundedBuffer<T> {
  #items: T[] = [];
  #head = 0;
  readonly #waiters: (() => void)[] = [];
  dropped = 0;

  constructor(
    readonly capacity: number,
    readonly policy: OverflowPolicy,
    private readonly onDrop: (item: T, totalDropped: number) => void = () => undefined,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('buffer capacity must be a positive integer');
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Resolves when the item is in the buffer (immediately unless the policy is 'block' and it is full). */
  async push(item: T): Promise<void> {
    while (this.size >= this.capacity) {
      if (this.policy === 'drop-oldest') {
        const oldest = this.#shift();
        this.dropped += 1;
        if (oldest !== undefined) this.onDrop(oldest, this.dropped);
        break;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#items.push(item);
  }

  /** Takes up to `max` items from the front. */
  take(max: number): T[] {
    const n = Math.min(max, this.size);
    const out = this.#items.slice(this.#head, this.#head + n);
    this.#head += n;
    this.#compact();
    this.#wake(n);
    return out;
  }

  /** Puts items back at the front (a send that failed), dropping the oldest beyond capacity. */
  unshift(items: T[]): void {
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
    while (this.size > this.capacity) {
      const oldest = this.#shift();
      this.dropped += 1;
      if (oldest !== undefined) this.onDrop(oldest, this.dropped);
    }
  }

  #shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#head += 1;
    this.#compact();
    this.#wake(1);
    return item;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  #wake(n: number): void {
    for (let i = 0; i < n && this.#waiters.length > 0; i++) this.#waiters.shift()?.();
  }
}
