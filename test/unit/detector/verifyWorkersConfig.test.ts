/** detector.verifyWorkers: from the environment or the file, a default that follows the cores, and a clear refusal of bad values. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/index.js';
import { ConfigError } from '../../../shared/errors/index.js';

const noStack = { useStackFile: false } as const;
const issuesOf = (env: Record<string, string>): string => {
  try {
    loadConfig({ ...noStack, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('detector.verifyWorkers', () => {
  it('defaults to the cores beyond two (0 on this 2-core machine: inline) and is read as a number from WARDEN_DETECTOR_VERIFY_WORKERS', () => {
    expect(loadConfig({ ...noStack, env: {} }).detector.verifyWorkers).toBe(Math.max(0, availableParallelism() - 2));
    expect(loadConfig({ ...noStack, env: { WARDEN_DETECTOR_VERIFY_WORKERS: '2' } }).detector.verifyWorkers).toBe(2);
    expect(loadConfig({ ...noStack, env: { WARDEN_DETECTOR_VERIFY_WORKERS: '0' } }).detector.verifyWorkers).toBe(0);
    expect(loadConfig({ ...noStack, env: {}, overrides: { detector: { verifyWorkers: 3 } } }).detector.verifyWorkers).toBe(3);
  });

  it.each([
    ['-1', /detector\.verifyWorkers: .*(greater than or equal to 0|at least 0).*WARDEN_DETECTOR_VERIFY_WORKERS=-1/],
    ['1.5', /detector\.verifyWorkers: must be a whole number.*WARDEN_DETECTOR_VERIFY_WORKERS=1\.5/],
    ['65', /detector\.verifyWorkers: .*(less than or equal to 64|at most 64).*WARDEN_DETECTOR_VERIFY_WORKERS=65/],
    ['two', /WARDEN_DETECTOR_VERIFY_WORKERS: expected a number for detector\.verifyWorkers, got "two"/],
  ])('refuses WARDEN_DETECTOR_VERIFY_WORKERS=%s, naming the key and the variable', (raw, message) => {
    expect(issuesOf({ WARDEN_DETECTOR_VERIFY_WORKERS: raw })).toMatch(message);
  });
});
