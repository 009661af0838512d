/**
 * Bundles the console (`npm run build:console`, also part of `npm run build`):
 * src/main.tsx with preact and uPlot into dist/console/app.js + app.css, beside
 * index.html. Everything the page loads is in that folder; nothing from a CDN.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const here = new URL('./', import.meta.url);
const out = new URL('../../dist/console/', import.meta.url);

await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: { app: new URL('src/main.tsx', here).pathname },
  outdir: out.pathname,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
await copyFile(new URL('index.html', here), new URL('index.html', out));
const bytes = Object.entries(result.metafile.outputs).filter(([f]) => !f.endsWith('.map')).map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KiB`);
console.log(`console built in ${out.pathname}: ${bytes.join(', ')}`);
