#!/usr/bin/env node
/**
 * The `warden` command that npm links (package.json "bin"). In a clone, after
 * only `npm ci`, there is no dist/ yet: run the TypeScript sources through tsx
 * (a devDependency, so present in every clone), which also keeps `warden`
 * current while the sources change. Where tsx is not installed (a package
 * installed without devDependencies) run the compiled dist/cli/warden.js.
 * Plain JavaScript on purpose: it must run before anything is built.
 */
import { existsSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';

const sources = fileURLToPath(new URL('../warden.ts', import.meta.url));
const built = fileURLToPath(new URL('../../dist/cli/warden.js', import.meta.url));

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return null;
  }
}

const tsx = existsSync(sources) ? await loadTsx() : null;
if (tsx) {
  await tsx.tsImport(pathToFileURL(sources).href, import.meta.url);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write('warden: neither the sources with tsx (run `npm ci`) nor dist/cli/warden.js (run `npm run build`) were found\n');
  process.exit(1);
}
