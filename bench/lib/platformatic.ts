/**
 * The bare-consumer ceiling with @platformatic/kafka instead of kafkajs, for
 * bench/detector-throughput.ts --client platformatic. Not a dependency of the
 * project: every release declares Node >= 22 somewhere (2.x itself; 1.x
 * through @platformatic/dynamic-buffer and @platformatic/wasm-utils), so
 * `npm ci` on our Node 20 would warn EBADENGINE. It is loaded from a folder
 * outside the repo where it was installed by hand:
 *
 *   mkdir -p /tmp/pk && cd /tmp/pk && npm init -y && npm i @platformatic/kafka@1.35.0
 *   npx tsx bench/detector-throughput.ts --client kafkajs,platformatic --platformatic-from /tmp/pk
 *
 * 2.x calls Promise.withResolvers (Node 22) and fails on Node 20 with
 * "Promise.withResolvers is not a function"; the benchmark adds that one
 * function when it is missing and says so in its section (measurement only).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What this benchmark uses of the library (it is loaded at run time, untyped). */
interface PlatformaticStream {
  on(event: 'data', listener: (message: unknown) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  close(): Promise<void>;
}
interface PlatformaticConsumer {
  consume(options: { topics: string[]; mode: string; autocommit: boolean; maxWaitTime: number }): Promise<PlatformaticStream>;
  close(force?: boolean): Promise<void>;
}
interface PlatformaticModule {
  Consumer: new (options: { groupId: string; clientId: string; bootstrapBrokers: string[]; maxWaitTime?: number }) => PlatformaticConsumer;
}

export interface LoadedPlatformatic {
  module: PlatformaticModule;
  version: string;
  /** True when this process lacked Promise.withResolvers and the benchmark added it. */
  polyfilled: boolean;
}

export class PlatformaticMissingError extends Error {
  constructor(detail: string) {
    super(`@platformatic/kafka: ${detail}. Install it outside the repo (mkdir -p /tmp/pk && cd /tmp/pk && npm init -y && npm i @platformatic/kafka@1.35.0) and pass --platformatic-from /tmp/pk (or WARDEN_BENCH_PLATFORMATIC_FROM)`);
    this.name = 'PlatformaticMissingError';
  }
}

/** Loads @platformatic/kafka from `dir` (a folder whose node_modules holds it). */
export async function loadPlatformatic(dir: string | undefined): Promise<LoadedPlatformatic> {
  if (!dir) throw new PlatformaticMissingError('no folder given');
  const pkgFile = join(dir, 'node_modules', '@platformatic', 'kafka', 'package.json');
  if (!existsSync(pkgFile)) throw new PlatformaticMissingError(`not installed in ${dir} (no ${pkgFile})`);
  const version = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version;
  // Only 2.x calls it; 1.x runs on Node 20 as it is.
  const polyfilled = Number(version.split('.')[0]) >= 2 && typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function';
  if (polyfilled) {
    // Node 22's Promise.withResolvers, the one newer API 2.x calls (1.35.0 runs without it).
    (Promise as unknown as { withResolvers: () => unknown }).withResolvers = () => {
      let resolve!: (v: unknown) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise((a, b) => {
        resolve = a;
        reject = b;
      });
      return { promise, resolve, reject };
    };
  }
  const entry = createRequire(join(dir, 'package.json')).resolve('@platformatic/kafka');
  const module = (await import(pathToFileURL(entry).href)) as PlatformaticModule;
  return { module, version, polyfilled };
}

/**
 * Reads `count` records of `topic` from the start with a new consumer group and only counts them, as the
 * kafkajs ceiling does (records arrive as Buffers: no deserialiser). Returns events/s.
 */
export async function barePlatformatic(lib: LoadedPlatformatic, brokers: string[], topic: string, count: number): Promise<number> {
  const consumer = new lib.module.Consumer({ groupId: `bench-bare-pk-${randomUUID()}`, clientId: 'bench-bare-pk', bootstrapBrokers: brokers, maxWaitTime: 100 });
  const t0 = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('data', () => {
      if (++seen === count) resolve();
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  await stream.close();
  await consumer.close(true);
  return count / seconds;
}
