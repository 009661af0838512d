/**
 * Keys for simulated agents. The detector must verify what the simulator
 * signs, so both read one keyring file: existing agents keep their keys,
 * agents the file does not know get a fresh random secret (never derived from
 * the seed: a seed is not a secret), and the file is written owner-only.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../../shared/errors/index.js';
import { Keyring, type KeyringData } from '../../shared/signing/index.js';

export function keyringFor(file: string, agentIds: readonly string[]): { keyring: Keyring; added: number; created: boolean } {
  const created = !existsSync(file);
  let data: KeyringData = {};
  if (!created) {
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as KeyringData;
    } catch (err) {
      throw new ConfigError([`keyring file ${file} is not valid JSON (${(err as Error).message.split('\n')[0]})`]);
    }
  }
  let added = 0;
  for (const agentId of agentIds) {
    if (data[agentId] && Object.keys(data[agentId]).length > 0) continue;
    data[agentId] = { sim1: randomBytes(32).toString('base64') };
    added += 1;
  }
  const keyring = new Keyring(data); // validates before anything is written
  if (added > 0) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  }
  return { keyring, added, created };
}
