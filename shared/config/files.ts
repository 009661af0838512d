/**
 * Files named by the configuration (CA bundles, client certificates, keys).
 * The schema checks that they exist, so a wrong path fails at start with its
 * key and source; the clients read them through `readPemFile`, which names the
 * key again if the file is not the PEM it should be.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** A path to a readable file (relative paths are relative to the working directory). */
export const readableFile = z
  .string()
  .min(1)
  .refine(readable, (path) => ({ message: `no readable file at ${path}` }));

/** Reads a PEM file for the config key `key`; a file without a PEM block is a ConfigError naming the key. */
export function readPemFile(key: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) throw new ConfigError([`${key}: ${path} holds no PEM block (expected -----BEGIN ...-----)`]);
  return text;
}
