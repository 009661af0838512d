import { describe, expect, it } from 'vitest';
import { nameHashSecret } from '../../../services/detector/main.js';
import { ConfigError } from '../../../shared/errors/index.js';
import { secretsFromEnv } from '../../../shared/logging/secrets.js';

describe('the detector name-hash secret (WARDEN_DETECTOR_NAME_HASH_SECRET)', () => {
  const logger = () => {
    const lines: string[] = [];
    return { lines, warn: (msg: string) => void lines.push(msg) };
  };

  it('unset: unkeyed, and one warning that says what to set', () => {
    const log = logger();
    expect(nameHashSecret({}, log)).toBeUndefined();
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(/WARDEN_DETECTOR_NAME_HASH_SECRET not set/);
  });

  it('set: used as given, nothing logged; too short: a ConfigError that names the variable, not the value', () => {
    const log = logger();
    expect(nameHashSecret({ WARDEN_DETECTOR_NAME_HASH_SECRET: 'k3P9-x7Qw-2LmZ-8vRt' }, log)).toBe('k3P9-x7Qw-2LmZ-8vRt');
    expect(log.lines).toEqual([]);
    let error: unknown;
    try {
      nameHashSecret({ WARDEN_DETECTOR_NAME_HASH_SECRET: 'short-s3cret' }, log);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/WARDEN_DETECTOR_NAME_HASH_SECRET: at least 16 characters/);
    expect((error as Error).message).not.toContain('short-s3cret');
  });

  it('is a secret the logger redacts by value', () => {
    expect(secretsFromEnv({ WARDEN_DETECTOR_NAME_HASH_SECRET: 'k3P9-x7Qw-2LmZ-8vRt' })).toContain('k3P9-x7Qw-2LmZ-8vRt');
  });
});
