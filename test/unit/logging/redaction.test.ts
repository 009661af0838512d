/**
 * The one logger never prints a secret: by key name at any depth, and by value
 * (URL userinfo, bearer/Splunk/Basic credentials, Authorization values, and the
 * values of configured secrets) in any string, the message, arrays and errors.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/index.js';
import { createLogger, registerSecrets, secretsFromEnv, secretsOf } from '../../../shared/logging/index.js';

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger('redaction-test', { level: 'trace', destination });
  return { logger, text: () => chunks.join(''), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRET = 's3cr3t-pa55word-9f8e7d';

describe('log redaction by value', () => {
  it.each([
    ['redis URL', `redis://default:${SECRET}@cache.internal:6379/0`],
    ['https URL', `https://deploy:${SECRET}@registry.example.net/apis`],
    ['amqp URL with an @ in the password', `amqps://svc:${SECRET}@x@mq.example.net`],
  ])('hides the password of a %s in a field and keeps the rest of the URL', (_k, url) => {
    const { logger, text, lines } = capture();
    logger.info({ target: url }, 'connecting');
    expect(text()).not.toContain(SECRET);
    expect(String(lines()[0]!.target)).toMatch(/^[a-z]+:\/\/\w+:\[redacted\]@/);
  });

  it('hides a bearer token, a Splunk token and an Authorization value inside the msg string', () => {
    const { logger, text, lines } = capture();
    logger.warn(`request failed with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.${SECRET}.sig`);
    logger.warn('HEC said 403 for Splunk 0f3c2a1b-aaaa-bbbb-cccc-1234567890ab');
    logger.warn('header authorization=Basic dXNlcjpwYXNzd29yZA==');
    logger.warn('sent %s', `Bearer ${SECRET}`);
    const out = text();
    for (const s of [SECRET, '0f3c2a1b-aaaa-bbbb-cccc-1234567890ab', 'dXNlcjpwYXNzd29yZA']) expect(out).not.toContain(s);
    expect(lines().map((l) => l.msg)).toEqual([
      'request failed with Authorization: [redacted]',
      'HEC said 403 for Splunk [redacted]',
      'header authorization=[redacted]',
      'sent Bearer [redacted]',
    ]);
  });

  it('hides a secret five levels down, by key name and by value', () => {
    const { logger, text } = capture();
    logger.info({ a: { b: { c: { d: { password: SECRET, url: `postgres://u:${SECRET}x@db/app` } } } } }, 'deep');
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('postgres://u:[redacted]@db/app');
  });

  it('hides secrets in arrays', () => {
    const { logger, text } = capture();
    logger.info({ brokers: [`kafka://svc:${SECRET}@k1:9092`, { token: SECRET }, [[`Bearer ${SECRET}`]]] }, 'array');
    expect(text()).not.toContain(SECRET);
  });

  it('hides secrets inside an Error (message, stack, own properties, cause), as the err field or nested', () => {
    const { logger, text, lines } = capture();
    const err = Object.assign(new Error(`connect failed: redis://:${SECRET}@cache:6379`), { config: { password: SECRET } });
    const wrapped = new Error('start failed', { cause: new Error(`auth Bearer ${SECRET}`) });
    logger.error(err);
    logger.error({ err: wrapped }, 'could not start');
    logger.error({ context: { failure: err } }, 'nested');
    expect(text()).not.toContain(SECRET);
    const [first, , third] = lines();
    // The error is still useful: its type and the redacted message are there.
    expect(first!.msg).toBe('connect failed: redis://:[redacted]@cache:6379');
    expect(first!.err).toMatchObject({ type: 'Error', message: 'connect failed: redis://:[redacted]@cache:6379' });
    expect((third!.context as { failure: { message: string } }).failure.message).toBe('connect failed: redis://:[redacted]@cache:6379');
  });

  it('hides the values of configured secrets wherever they appear, whatever the key', () => {
    const redisPassword = 'redis-pw-Xq7Lm2Pz';
    const saslPassword = 'sasl-pw-Rt5Yu8Io';
    const hecToken = 'hec-tok-Ab3Cd4Ef5';
    loadConfig({
      useStackFile: false,
      env: { WARDEN_REDIS_PASSWORD: redisPassword, WARDEN_KAFKA_SASL_MECHANISM: 'scram-sha-512', WARDEN_KAFKA_SASL_USERNAME: 'detector', WARDEN_KAFKA_SASL_PASSWORD: saslPassword, WARDEN_SPLUNK_HEC_URL: 'https://hec.example.net', WARDEN_SPLUNK_HEC_TOKEN: hecToken },
    });
    const { logger, text } = capture();
    logger.info({ note: `tried ${redisPassword} twice`, list: [saslPassword], deep: { x: { y: { z: { w: hecToken } } } } }, `retrying with ${saslPassword}`);
    logger.child({ binding: `pw=${redisPassword}` }).info('child');
    const out = text();
    for (const s of [redisPassword, saslPassword, hecToken]) expect(out).not.toContain(s);
  });

  it('hides the values of WARDEN_API_TOKENS and of the keyring taken from the environment', async () => {
    const apiToken = 'api-token-Zz9Yy8Xx7Ww6';
    const agentKey = 'agent-hmac-key-0123456789abcdef';
    const saved = { tokens: process.env.WARDEN_API_TOKENS, keyring: process.env.WARDEN_KEYRING };
    process.env.WARDEN_API_TOKENS = JSON.stringify([{ name: 'ops', role: 'responder', token: apiToken }]);
    process.env.WARDEN_KEYRING = JSON.stringify({ 'bot-1': { k1: agentKey } });
    try {
      const { Keyring } = await import('../../../shared/signing/keyring.js');
      Keyring.load({ env: { WARDEN_KEYRING: process.env.WARDEN_KEYRING } });
      const { logger, text } = capture();
      logger.info({ header: apiToken, raw: `key ${agentKey}` }, `token ${apiToken}`);
      expect(text()).not.toContain(apiToken);
      expect(text()).not.toContain(agentKey);
    } finally {
      if (saved.tokens === undefined) delete process.env.WARDEN_API_TOKENS;
      else process.env.WARDEN_API_TOKENS = saved.tokens;
      if (saved.keyring === undefined) delete process.env.WARDEN_KEYRING;
      else process.env.WARDEN_KEYRING = saved.keyring;
    }
  });
});

describe('log redaction by key name at any depth', () => {
  it('redacts secret-named keys (any case, any depth) and keeps ordinary fields and counts', () => {
    const { logger, lines } = capture();
    logger.info({ l1: { l2: { l3: { l4: { l5: { apiKey: 'k-123456', Authorization: 'x', sasl: { password: 'p' } } } } } }, agentId: 'bot-1', maxTokens: 4096 }, 'keys');
    const line = lines()[0]!;
    expect(JSON.stringify(line)).not.toMatch(/k-123456|"x"/);
    expect(line).toMatchObject({ agentId: 'bot-1', maxTokens: 4096, l1: { l2: { l3: { l4: { l5: { apiKey: '[redacted]', Authorization: '[redacted]', sasl: '[redacted]' } } } } } });
  });

  it('does not hang on cycles and marks them', () => {
    const { logger, lines } = capture();
    const a: Record<string, unknown> = { name: 'a', password: SECRET };
    const b: Record<string, unknown> = { name: 'b', a };
    a.b = b;
    a.self = a;
    logger.info({ a }, 'cycle');
    const line = lines()[0]!;
    expect(JSON.stringify(line)).not.toContain(SECRET);
    expect(line).toMatchObject({ a: { name: 'a', password: '[redacted]', self: '[Circular]', b: { name: 'b', a: '[Circular]' } } });
  });

  it('keeps a shared (non-circular) object in both places', () => {
    const { logger, lines } = capture();
    const shared = { id: 7 };
    logger.info({ x: shared, y: shared }, 'dag');
    expect(lines()[0]).toMatchObject({ x: { id: 7 }, y: { id: 7 } });
  });

  it('leaves a line without secrets unchanged', () => {
    const { logger, lines } = capture();
    logger.info({ topic: 'agent.events', partition: 3, offsets: [1, 2], ok: true, url: 'http://127.0.0.1:8081/apis/ccompat/v7' }, 'consumed 12 records from redis://cache:6379');
    expect(lines()[0]).toMatchObject({ topic: 'agent.events', partition: 3, offsets: [1, 2], ok: true, url: 'http://127.0.0.1:8081/apis/ccompat/v7', msg: 'consumed 12 records from redis://cache:6379' });
  });
});

describe('child loggers', () => {
  it('redact their bindings at every generation, and each logs as itself', () => {
    const { logger, lines, text } = capture();
    const child = logger.child({ agentId: 'bot-1', dsn: `redis://:${SECRET}@h` });
    const grandchild = child.child({ partition: 2, token: SECRET });
    child.info('one');
    grandchild.info('two');
    expect(text()).not.toContain(SECRET);
    expect(lines()[0]).toMatchObject({ agentId: 'bot-1', dsn: 'redis://:[redacted]@h', msg: 'one' });
    expect(lines()[0]).not.toHaveProperty('partition');
    expect(lines()[1]).toMatchObject({ agentId: 'bot-1', partition: 2, token: '[redacted]', msg: 'two' });
  });
});

describe('which values count as configured secrets', () => {
  it('strings under secret-named keys at any depth, JWK private members, URL passwords; not ordinary values or file paths', () => {
    const found = secretsOf({
      kafka: { brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'u1', password: 'p-sasl' } },
      redis: { url: 'redis://:p-url%40x@cache:6379' },
      commandSigning: { signingKeysFile: '/etc/warden/keys.json' },
      jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'k1', x: 'public-x', d: 'private-d' }] },
      list: [{ apiKey: 'p-api' }],
    });
    expect(found).toEqual(expect.arrayContaining(['p-sasl', 'p-url%40x', 'p-url@x', 'private-d', 'p-api']));
    expect(found).not.toContain('/etc/warden/keys.json');
    expect(found).not.toContain('k:9092');
  });

  it('reads WARDEN_* secrets from the environment, looking into JSON ones (signing keys, API tokens)', () => {
    const found = secretsFromEnv({
      WARDEN_COMMAND_SIGNING_KEYS: JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'r1', scope: 'fleet', x: 'pub', d: 'ed25519-private-d' }] }),
      WARDEN_API_TOKENS: JSON.stringify([{ name: 'ops', role: 'viewer', token: 'viewer-token-1' }]),
      WARDEN_ELASTIC_API_KEY: 'elastic-api-key-1',
      WARDEN_REDIS_URL: 'rediss://warden:url-pw-9@cache:6380',
      WARDEN_LOG_LEVEL: 'debug',
      HOME: '/root',
    });
    expect(found).toEqual(expect.arrayContaining(['ed25519-private-d', 'viewer-token-1', 'elastic-api-key-1', 'url-pw-9']));
    expect(found).not.toContain('debug');
    expect(found).not.toContain('ops');
  });

  it('hides a secret with regex and JSON special characters, also in its JSON-escaped and URL-encoded forms', () => {
    const weird = 'a"b\\c.*(d)/e f';
    registerSecrets([weird, 'abc']); // 'abc' is shorter than MIN_SECRET_LENGTH: ignored, or every "abc" would vanish
    const { logger, text } = capture();
    logger.info({ raw: weird, json: JSON.stringify({ pw: weird }), url: `https://x.example/?p=${encodeURIComponent(weird)}` }, 'abc stays');
    expect(text()).not.toContain(JSON.stringify(weird).slice(1, -1));
    expect(text()).not.toContain(encodeURIComponent(weird));
    expect(text()).toContain('abc stays');
  });
});
