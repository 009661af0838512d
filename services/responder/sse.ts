/**
 * Server-Sent Events for the console: every open stream gets each broadcast,
 * and a comment line every `heartbeatMs` so proxies keep it open and a dead
 * client is noticed. Bounded: past `maxClients` a new stream is refused
 * (the caller answers 503) rather than letting streams pile up.
 */
import type { ServerResponse } from 'node:http';

export class SseHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #timer: NodeJS.Timeout;
  #nextId = 1;

  constructor(private readonly options: { heartbeatMs?: number; maxClients?: number } = {}) {
    this.#timer = setInterval(() => this.#write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
    this.#timer.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Takes over the response; false when full. */
  add(res: ServerResponse): boolean {
    if (this.#clients.size >= (this.options.maxClients ?? 100)) return false;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
    return true;
  }

  broadcast(event: string, data: unknown): void {
    this.#write(`id: ${this.#nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #write(chunk: string): void {
    for (const c of this.#clients) c.write(chunk);
  }

  close(): void {
    clearInterval(this.#timer);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }
}
