/**
 * Per-agent signing keys: `{ "<agentId>": { "<kid>": "<secret>" } }` from a
 * JSON file or an environment variable. Several key ids per agent may be valid
 * at once so keys rotate without downtime; the SDK signs with the agent's
 * active kid (the last listed unless named). Secrets never leave this object:
 * it prints, logs and serialises as key ids only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ConfigError } from '../errors/index.js';
import { registerSecrets } from '../logging/secrets.js';

export type KeyringData = Record<string, Record<string, string>>;

const MIN_SECRET_BYTES = 16;

export class Keyring {
  readonly #keys = new Map<string, Map<string, Buffer>>();
  readonly #active = new Map<string, string>();

  constructor(data: KeyringData, active: Record<string, string> = {}) {
    const issues: string[] = [];
    for (const [agentId, kids] of Object.entries(data)) {
      if (typeof kids !== 'object' || kids === null) {
        issues.push(`keyring.${agentId}: expected an object of {kid: secret}`);
        continue;
      }
      const map = new Map<string, Buffer>();
      for (const [kid, secret] of Object.entries(kids)) {
        if (typeof secret !== 'string' || Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
          issues.push(`keyring.${agentId}.${kid}: secret must be a string of at least ${MIN_SECRET_BYTES} bytes`);
          continue;
        }
        map.set(kid, Buffer.from(secret, 'utf8'));
        registerSecrets([secret]); // the logger hides it wherever it would appear
      }
      if (map.size > 0) this.#keys.set(agentId, map);
      const wanted = active[agentId];
      if (wanted && !map.has(wanted)) issues.push(`keyring.${agentId}: active kid ${wanted} is not in the keyring`);
      this.#active.set(agentId, wanted ?? [...map.keys()].at(-1) ?? '');
    }
    if (issues.length > 0) throw new ConfigError(issues);
  }

  /** From WARDEN_KEYRING (JSON) or WARDEN_KEYRING_FILE (path to JSON), or an explicit file. */
  static load(options: { file?: string; env?: Record<string, string | undefined> } = {}): Keyring {
    const env = options.env ?? process.env;
    const file = options.file ?? env.WARDEN_KEYRING_FILE;
    let text: string | undefined;
    let source = 'WARDEN_KEYRING';
    if (file) {
      if (!existsSync(file)) throw new ConfigError([`keyring file ${file} does not exist`]);
      text = readFileSync(file, 'utf8');
      source = file;
    } else text = env.WARDEN_KEYRING;
    if (!text) throw new ConfigError(['no keyring: set WARDEN_KEYRING_FILE to a JSON file {agentId: {kid: secret}} or WARDEN_KEYRING to the JSON itself']);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // The parser's message could quote part of a secret: say where, not what.
      throw new ConfigError([`keyring from ${source} is not valid JSON`]);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ConfigError([`keyring from ${source} must be an object {agentId: {kid: secret}}`]);
    return new Keyring(data as KeyringData);
  }

  has(agentId: string): boolean {
    return this.#keys.has(agentId);
  }

  activeKid(agentId: string): string | undefined {
    return this.#active.get(agentId) || undefined;
  }

  /** The secret for (agent, kid), or undefined when that key id is not known for that agent. */
  secret(agentId: string, kid: string): Buffer | undefined {
    return this.#keys.get(agentId)?.get(kid);
  }

  /**
   * The secrets as the constructor takes them, to build the same keyring inside a worker thread of this
   * process (services/detector/verifyPool.ts). Never log or send it anywhere else.
   */
  secretsForWorker(): KeyringData {
    const data: KeyringData = {};
    for (const [agentId, kids] of this.#keys) data[agentId] = Object.fromEntries([...kids].map(([kid, secret]) => [kid, secret.toString('utf8')]));
    return data;
  }

  kids(agentId: string): string[] {
    return [...(this.#keys.get(agentId)?.keys() ?? [])];
  }

  agents(): string[] {
    return [...this.#keys.keys()];
  }

  toJSON(): Record<string, string[]> {
    return Object.fromEntries(this.agents().map((a) => [a, this.kids(a)]));
  }

  [inspect.custom](): string {
    return `Keyring(${this.agents().length} agents, secrets hidden)`;
  }
}
