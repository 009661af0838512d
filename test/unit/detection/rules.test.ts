import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { RulesError } from '../../../shared/errors/index.js';
import { DEFAULT_RULES, RULE_IDS, getRule, loadRules, parseRules, resolveRules, validateRules } from '../../../shared/detection/index.js';

const RULES_FILE = fileURLToPath(new URL('../../../rules/detection.yaml', import.meta.url));

function rulesError(fn: () => unknown): RulesError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RulesError);
    return err as RulesError;
  }
  throw new Error('expected a RulesError');
}

describe('rules', () => {
  it('rules/detection.yaml validates as a complete file and equals the built-in defaults', () => {
    const result = validateRules(parse(readFileSync(RULES_FILE, 'utf8')));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.rules).toEqual(DEFAULT_RULES);
    expect(loadRules(RULES_FILE)).toEqual(DEFAULT_RULES);
  });

  it('loads the defaults without a file, with every known rule', () => {
    const rules = loadRules();
    expect(rules).toBe(DEFAULT_RULES);
    expect(rules.rules.map((r) => r.id).sort()).toEqual([...RULE_IDS].sort());
    for (const r of rules.rules) {
      expect(r.description.length).toBeGreaterThan(10);
      expect(r.tags.length).toBeGreaterThan(0);
    }
  });

  it('merges a partial file over the defaults (rule fields and thresholds by key)', () => {
    const rules = parseRules('engine:\n  cooldownMs: 600000\nrules:\n  - id: rate-spike.agent\n    thresholds: { z: 9 }\n  - id: injection.marker\n    enabled: false\n', 'partial.yaml');
    expect(rules.engine.cooldownMs).toBe(600_000);
    expect(rules.engine.bucketMs).toBe(DEFAULT_RULES.engine.bucketMs);
    const rate = getRule(rules, 'rate-spike.agent');
    expect(rate.thresholds.z).toBe(9);
    expect(rate.thresholds.minRatio).toBe(getRule(DEFAULT_RULES, 'rate-spike.agent').thresholds.minRatio);
    expect(getRule(rules, 'injection.marker').enabled).toBe(false);
  });

  it('names the bad key: unknown key, wrong type, bad regex, unknown rule id', () => {
    const unknown = rulesError(() => resolveRules({ engine: { bucketMz: 5 } }, 'x.yaml'));
    expect(unknown.message).toContain('x.yaml');
    expect(unknown.message).toContain('engine');
    expect(unknown.message).toContain("'bucketMz'");
    expect(unknown.reason).toBe('rules.invalid');

    const wrongType = rulesError(() => resolveRules({ rules: [{ id: 'rate-spike.agent', thresholds: { z: 'high' } }] }));
    expect(wrongType.message).toMatch(/rules\[\d+ id=rate-spike\.agent\]\.thresholds\.z/);

    const badRegex = rulesError(() => resolveRules({ injectionPatterns: [{ id: 'x', pattern: '(unclosed', weight: 0.5 }] }));
    expect(badRegex.message).toContain('injectionPatterns[0].pattern');
    expect(badRegex.message).toContain('regular expression');

    const badId = rulesError(() => resolveRules({ rules: [{ id: 'rate-spike.typo' }] }));
    expect(badId.message).toContain('rate-spike.typo');

    // Thresholds are checked by the schema their detector declares (slow-ramp's cross-field check included),
    // and a rule names the detector that declares it.
    const ramp = rulesError(() => resolveRules({ rules: [{ id: 'slow-ramp.rate', thresholds: { minRunBuckets: 40 } }] }));
    expect(ramp.message).toMatch(/rules\[\d+ id=slow-ramp\.rate\]\.thresholds\.minRunBuckets: minRunBuckets must not exceed windowBuckets/);
    const payment = rulesError(() => resolveRules({ rules: [{ id: 'volume-spike.payment', thresholds: { direction: 'up' } }] }));
    expect(payment.message).toContain("unknown key(s) 'direction'");
    const wrongDetector = rulesError(() => resolveRules({ rules: [{ id: 'injection.marker', detector: 'rate-spike' }] }));
    expect(wrongDetector.message).toMatch(/rules\[\d+ id=injection\.marker\]\.detector/);

    const yaml = rulesError(() => parseRules('engine: [unclosed', 'broken.yaml'));
    expect(yaml.message).toContain('broken.yaml');
    expect(() => loadRules('/nonexistent/rules.yaml')).toThrow(RulesError);
  });
});
