/**
 * Serves the built console (`npm run build:console` writes dist/console/).
 * Only files inside that folder, by exact name, with a strict CSP: the bundle
 * loads nothing from elsewhere. The files are public; the data behind them
 * needs a token (the API).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.map': 'application/json',
};

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** dist/console from the source tree (tsx) or from dist/services/responder (built); WARDEN_CONSOLE_DIR wins. */
export function consoleDir(env: Record<string, string | undefined> = process.env): string | null {
  const candidates = env.WARDEN_CONSOLE_DIR
    ? [env.WARDEN_CONSOLE_DIR]
    : [fileURLToPath(new URL('../../console/', import.meta.url)), fileURLToPath(new URL('../../dist/console/', import.meta.url))];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? null;
}

/** True when it answered (a file, or 503 when the console is not built); false: not a console path. */
export async function serveConsole(dir: string | null, path: string, res: ServerResponse): Promise<boolean> {
  if (path.startsWith('/v1/') || path === '/health' || path === '/metrics') return false;
  const headers = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  if (!dir) {
    res.writeHead(503, { ...headers, 'content-type': 'text/plain' }).end('console not built: run `npm run build:console` (or `npm run build`)\n');
    return true;
  }
  // Client-side routes (#fleet, ...) all load index.html; anything with an extension is a file.
  const name = extname(path) ? path : '/index.html';
  const file = normalize(join(dir, decodeURIComponent(name)));
  if (!file.startsWith(normalize(dir).replace(/[\\/]?$/, sep))) return false;
  const body = await readFile(file).catch(() => null);
  if (!body) return false;
  res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': name === '/index.html' ? 'no-cache' : 'max-age=300' }).end(body);
  return true;
}
