import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_OVERRIDES, loadConfig } from '../../shared/config/index.js';
import { ConfigError } from '../../shared/errors/index.js';

const noStack = { useStackFile: false } as const;
const file = (text: string) => {
  const p = join(mkdtempSync(join(tmpdir(), 'warden-cfg-')), 'warden.yaml');
  writeFileSync(p, text);
  return p;
};
const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('has defaults that point at the local stack', () => {
    const c = loadConfig({ ...noStack, env: {} });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.topics.quarantine.configs['cleanup.policy']).toBe('compact');
    expect(c.topics.events.name).toBe('agent.events');
  });

  it('layers file < environment', () => {
    const c = loadConfig({ ...noStack, file: file('kafka:\n  brokers: ["10.0.0.1:9092"]\nlogging:\n  level: debug\n'), env: { WARDEN_KAFKA_BROKERS: 'k1:9092, k2:9092' } });
    expect(c.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(c.logging.level).toBe('debug');
  });

  it('names the bad key and the file it came from', () => {
    const e = errorOf(() => loadConfig({ ...noStack, env: {}, file: file('kafka:\n  brokers: "not-a-list"\n') }));
    expect(e.reason).toBe('config.invalid');
    expect(e.issues[0]).toMatch(/^kafka\.brokers: .*\(from .*warden\.yaml\)$/);
  });

  it('names the environment variable a bad value came from', () => {
    const e = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_REGISTRY_URL: 'not a url' } }));
    expect(e.issues.join('\n')).toMatch(/registry\.url: .*\(from WARDEN_REGISTRY_URL\)/);
  });

  it('blames the variable, not the file, when a variable replaced a list the file set', () => {
    const e = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_KAFKA_BROKERS: 'no-port' }, file: file('kafka:\n  brokers: ["a:9092"]\n') }));
    expect(e.issues.join('\n')).toMatch(/kafka\.brokers\.0: .*\(from WARDEN_KAFKA_BROKERS\)/);
  });

  it('reports unknown keys and unknown WARDEN_ variables instead of ignoring them', () => {
    const e = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_KAFKA_BROKER: 'typo:9092' }, file: file('kafka:\n  borkers: ["a:1"]\n') }));
    const text = e.issues.join('\n');
    expect(text).toMatch(/WARDEN_KAFKA_BROKER: unknown environment variable/);
    expect(text).toMatch(/borkers/);
  });

  it('says what is wrong with a number from the environment, and shows the value (issue 15 item 5)', () => {
    const negative = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_DETECTOR_CHECKPOINT_MS: '-5' } })).issues.join('\n');
    expect(negative).toMatch(/detector\.checkpointIntervalMs: .*(greater than or equal to 0|at least 0).*WARDEN_DETECTOR_CHECKPOINT_MS=-5/);
    const fraction = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_DETECTOR_CHECKPOINT_MS: '1.5' } })).issues.join('\n');
    expect(fraction).toMatch(/detector\.checkpointIntervalMs: must be a whole number.*WARDEN_DETECTOR_CHECKPOINT_MS=1\.5/);
    const word = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_STACK_KAFKA_PORT: 'ninety' } })).issues.join('\n');
    expect(word).toMatch(/WARDEN_STACK_KAFKA_PORT: expected a number for stack\.kafkaPort, got "ninety"/);
    for (const text of [negative, fraction, word]) expect(text).not.toMatch(/Expected number, received string/);
    // Every numeric variable is parsed as one (maxBatchAttempts was left a string).
    expect(loadConfig({ ...noStack, env: { WARDEN_DETECTOR_MAX_BATCH_ATTEMPTS: '4' } }).detector.maxBatchAttempts).toBe(4);
    // And every variable whose setting is a number by default: its default, given as text, loads as that number.
    const defaults = loadConfig({ ...noStack, env: {} });
    const at = (config: unknown, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);
    const numeric = Object.entries(ENV_OVERRIDES).filter(([, path]) => typeof at(defaults, path) === 'number');
    expect(numeric.map(([name]) => name)).toContain('WARDEN_DETECTOR_FETCH_MAX_PARTITION_BYTES');
    for (const [name, path] of numeric) expect({ name, value: at(loadConfig({ ...noStack, env: { [name]: String(at(defaults, path)) } }), path) }).toEqual({ name, value: at(defaults, path) });
  });

  it('gives each SIEM sink a minimum severity: INFO by default, from the file or the environment, checked', () => {
    const c = loadConfig({ ...noStack, file: file('siem:\n  syslog: { host: s, port: 514 }\n  splunkHec: { url: "http://h:8088", token: t, minSeverity: HIGH }\n'), env: { WARDEN_ELASTIC_URL: 'http://e:9200', WARDEN_ELASTIC_MIN_SEVERITY: 'MEDIUM' } });
    expect([c.siem.syslog?.minSeverity, c.siem.splunkHec?.minSeverity, c.siem.elasticBulk?.minSeverity]).toEqual(['INFO', 'HIGH', 'MEDIUM']);
    const e = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_SYSLOG_HOST: 's', WARDEN_SYSLOG_PORT: '514', WARDEN_SYSLOG_MIN_SEVERITY: 'SEVERE' } })).issues.join('\n');
    expect(e).toMatch(/siem\.syslog\.minSeverity.*WARDEN_SYSLOG_MIN_SEVERITY/);
  });

  it('suggests the closest known variable for a mistyped WARDEN_ name', () => {
    const e = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_KAFKA_BROKER: 'k:9092', WARDEN_REDIS_UTL: 'redis://x:1', WARDEN_ZZZ_NOTHING_LIKE_IT: '1' } }));
    const text = e.issues.join('\n');
    expect(text).toMatch(/WARDEN_KAFKA_BROKER: unknown environment variable; did you mean WARDEN_KAFKA_BROKERS\?/);
    expect(text).toMatch(/WARDEN_REDIS_UTL: unknown environment variable; did you mean WARDEN_REDIS_URL\?/);
    expect(text).toMatch(/WARDEN_ZZZ_NOTHING_LIKE_IT: unknown environment variable \(known: see README/);
  });

  it('rejects a missing file and invalid YAML with the file name', () => {
    expect(errorOf(() => loadConfig({ ...noStack, env: {}, file: '/nonexistent/warden.yaml' })).message).toMatch(/does not exist/);
    expect(errorOf(() => loadConfig({ ...noStack, env: {}, file: file('kafka: [unclosed') })).message).toMatch(/not valid YAML/);
  });

  it('never puts a secret into the error message', () => {
    const e = errorOf(() => loadConfig({ ...noStack, env: { WARDEN_KAFKA_SASL_PASSWORD: 'hunter2-secret', WARDEN_KAFKA_SASL_MECHANISM: 'bogus' } }));
    expect(e.message).toMatch(/kafka\.sasl/);
    expect(e.message).not.toContain('hunter2-secret');
  });
});
