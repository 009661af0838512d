/** Where the stack keeps things: downloads in a cache outside the work tree, data and logs under stack.dir (gitignored). */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WardenConfig } from '../../shared/config/index.js';

export interface StackPaths { cache: string; dir: string; logs: string; run: string; data: string; stateFile: string }

export function stackPaths(config: WardenConfig): StackPaths {
  const dir = resolve(config.stack.dir);
  const cache = resolve(config.stack.cacheDir ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'warden'));
  const p = { cache, dir, logs: join(dir, 'logs'), run: join(dir, 'run'), data: join(dir, 'data'), stateFile: join(dir, 'stack.json') };
  for (const d of [p.cache, p.dir, p.logs, p.run, p.data]) mkdirSync(d, { recursive: true });
  return p;
}
