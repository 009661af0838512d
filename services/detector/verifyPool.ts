/**
 * Signature verification for a batch, inline or on worker threads (detector.verifyWorkers). HMAC-SHA256 is
 * the largest single cost of the detector's path; on worker threads it runs beside the main thread's decode
 * and detection, and on as many cores as there are workers.
 *
 * Workers are plain node:worker_threads, not a pool library: the pool is fixed-size, every worker needs the
 * same keyring once (a broadcast, which task pools such as piscina do not model), and what remains (split,
 * dispatch to the least loaded, fail on a crash) is this file.
 *
 * A worker that crashes, exits or does not answer fails the requests it held: the batch fails and is retried
 * as any failed batch is (and parked after detector.maxBatchAttempts). No record is ever taken as valid
 * without an answer. A dead worker is replaced when the next batch needs it.
 */
import { Worker } from 'node:worker_threads';
import { verifySignature, type Keyring, type Verification } from '../../shared/signing/index.js';
import { packRequest, VERIFICATIONS, type SignedRecord, type VerifyResponse } from './verifyChunk.js';
import type { VerifyWorkerData } from './verifyWorker.js';

export type { SignedRecord } from './verifyChunk.js';

export interface Verifier {
  /** One Verification per record, in order. */
  verify(records: readonly SignedRecord[]): Promise<Verification[]>;
  /** Ends the workers; idempotent. */
  close(): Promise<void>;
}

/** A worker crashed, exited, did not answer in time, or the pool was closed: the batch must fail (not an outage). */
export class VerifyWorkerError extends Error {
  override readonly name = 'VerifyWorkerError';
}

/** `workers: 0` verifies on the calling thread, exactly as intake always did: no threads, no copies. */
export function createVerifier(keyring: Keyring, workers: number): Verifier {
  return workers > 0 ? new VerifyPool(keyring, workers) : new InlineVerifier(keyring);
}

class InlineVerifier implements Verifier {
  readonly #keyring: Keyring;
  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }
  verify(records: readonly SignedRecord[]): Promise<Verification[]> {
    return Promise.resolve(records.map((r) => verifySignature(this.#keyring, r.agentId, r.value, r.headers)));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Fewer records than this per request cost more in messaging than they save. */
const MIN_CHUNK_RECORDS = 256;
/** A chunk takes milliseconds; no answer by then means a stuck worker (the message avoids the words isRetriable takes for an outage). */
const ANSWER_WITHIN_MS = 30_000;

interface Pending {
  records: number;
  resolve: (codes: Uint8Array) => void;
  reject: (err: Error) => void;
  deadline: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Records sent and not yet answered: the next chunk goes to the slot with the fewest. */
  load: number;
  dead: boolean;
}

export class VerifyPool implements Verifier {
  readonly #workerData: VerifyWorkerData;
  readonly #workerUrl: URL;
  readonly #slots: Slot[];
  #nextRequestId = 1;
  #closed = false;

  /** `workerUrl`: the worker script (tests substitute one that crashes); default verifyWorker.ts beside this file. */
  constructor(keyring: Keyring, workers: number, options: { workerUrl?: URL } = {}) {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`a verification pool needs at least one worker, got ${workers}`);
    // The keyring is loaded once at start (services/detector/main.ts) and never reloaded: one copy per worker, given at spawn.
    this.#workerData = { keyring: keyring.secretsForWorker() };
    this.#workerUrl = options.workerUrl ?? WORKER_URL;
    this.#slots = Array.from({ length: workers }, () => this.#spawn());
  }

  get size(): number {
    return this.#slots.length;
  }

  async verify(records: readonly SignedRecord[]): Promise<Verification[]> {
    if (this.#closed) throw new VerifyWorkerError('the verification pool is closed');
    if (records.length === 0) return [];
    // Split so one batch uses every worker, but not into slivers.
    const chunk = Math.max(MIN_CHUNK_RECORDS, Math.ceil(records.length / this.#slots.length));
    const parts: Promise<Uint8Array>[] = [];
    for (let start = 0; start < records.length; start += chunk) parts.push(this.#send(records, start, Math.min(records.length, start + chunk)));
    const answers = await Promise.all(parts);
    const out = new Array<Verification>(records.length);
    let i = 0;
    for (const codes of answers) for (const code of codes) out[i++] = VERIFICATIONS[code]!;
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) this.#fail(slot, new VerifyWorkerError('the verification pool is closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #send(records: readonly SignedRecord[], start: number, end: number): Promise<Uint8Array> {
    const slot = this.#leastLoaded();
    const requestId = this.#nextRequestId++;
    const { request, transfer } = packRequest(requestId, records, start, end);
    return new Promise<Uint8Array>((resolve, reject) => {
      const deadline = setTimeout(() => {
        this.#fail(slot, new VerifyWorkerError(`a signature verification worker gave no answer within ${ANSWER_WITHIN_MS} ms; it was stopped`));
        void slot.worker.terminate();
      }, ANSWER_WITHIN_MS);
      deadline.unref();
      slot.pending.set(requestId, { records: end - start, resolve, reject, deadline });
      slot.load += end - start;
      slot.worker.postMessage(request, transfer);
    });
  }

  #leastLoaded(): Slot {
    let best: Slot | null = null;
    for (let i = 0; i < this.#slots.length; i++) {
      let slot = this.#slots[i]!;
      if (slot.dead) {
        slot = this.#spawn();
        this.#slots[i] = slot;
      }
      if (!best || slot.load < best.load) best = slot;
    }
    return best!;
  }

  #spawn(): Slot {
    const worker = startWorker(this.#workerUrl, this.#workerData);
    // An idle pool does not keep the process alive; a request in flight is awaited by a batch that does.
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), load: 0, dead: false };
    worker.on('message', (response: VerifyResponse) => {
      const pending = slot.pending.get(response.requestId);
      if (!pending) return;
      slot.pending.delete(response.requestId);
      slot.load -= pending.records;
      clearTimeout(pending.deadline);
      if ('codes' in response) pending.resolve(response.codes);
      else pending.reject(new VerifyWorkerError(`signature verification failed in a worker: ${response.error}`));
    });
    worker.on('error', (err) => this.#fail(slot, new VerifyWorkerError(`a signature verification worker crashed: ${err.message.slice(0, 300)}`)));
    worker.on('exit', (code) => this.#fail(slot, new VerifyWorkerError(`a signature verification worker exited (code ${code})`)));
    return slot;
  }

  /** Marks the slot dead and fails everything it held (replaced by #leastLoaded when next needed). */
  #fail(slot: Slot, err: VerifyWorkerError): void {
    slot.dead = true;
    for (const pending of slot.pending.values()) {
      clearTimeout(pending.deadline);
      pending.reject(err);
    }
    slot.pending.clear();
    slot.load = 0;
  }
}

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './verifyWorker.ts' : './verifyWorker.js', import.meta.url);

/**
 * Compiled, the worker is plain JS. From source (tsx, vitest) it is TypeScript, and Node 20 applies no
 * `--import` loader to a worker's entry module: a one-line bootstrap loads it through tsx's API (a dev dependency).
 */
function startWorker(url: URL, workerData: VerifyWorkerData): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = JSON.stringify(url.href);
  return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${entry}, ${entry}))`, { eval: true, workerData });
}
