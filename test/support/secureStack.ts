/**
 * The secured local stack for tests (no globalSetup: only the secure-mode test
 * needs it). `startSecureStack()` starts what is not running and `stop()`
 * stops only what it started, like test/globalSetup.ts does for the plain one.
 * `secureTestConfigs()` gives each principal a config read by the ordinary
 * loader from the environment `stack up --secure` writes for it, with topics
 * of the test's own (created, and granted per principal, by the bootstrap
 * super user; removed again by `cleanup()`).
 */
import { grantTopicAcls, revokeTopicAcls } from '../../cli/stack/acls.js';
import { principalEnv, secureStackDown, secureStackUp, type Principal } from '../../cli/stack/secure.js';
import { loadConfig, type WardenConfig } from '../../shared/config/index.js';
import { createKafka, ensureTopics } from '../../shared/kafka/index.js';
import { testLogger, uniqueSuffix } from './stack.js';

export interface SecureStackHandle { stop(): Promise<void> }

const log = (line: string) => console.log(`[secure stack] ${line}`);

/** Stack settings (ports, dirs) from the environment; endpoints never from the plain stack's file. */
function stackConfig(): WardenConfig {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WARDEN_STACK_') || k === 'WARDEN_REGISTRY_URL'));
  return loadConfig({ env, useStackFile: false });
}

export async function startSecureStack(): Promise<SecureStackHandle> {
  const config = stackConfig();
  const r = await secureStackUp(config, log);
  return {
    stop: async () => {
      if (r.startedNow.length > 0 && process.env.WARDEN_KEEP_STACK !== '1') await secureStackDown(config, log, r.startedNow);
    },
  };
}

export interface SecureConfigs {
  /** The config of one principal, with this test's topics. */
  as(principal: Principal): WardenConfig;
  /** Deletes the test's topics and their ACLs. */
  cleanup(): Promise<void>;
}

export async function secureTestConfigs(label: string): Promise<SecureConfigs> {
  const stack = stackConfig();
  const suffix = `${label}-${uniqueSuffix()}`;
  const as = (principal: Principal): WardenConfig => {
    const base = loadConfig({ env: principalEnv(stack, principal), useStackFile: false });
    const topics = Object.fromEntries(
      Object.entries(base.topics).map(([k, t]) => [k, { ...t, name: `${t.name}.${suffix}`, partitions: Math.min(t.partitions, 3) }]),
    ) as WardenConfig['topics'];
    return { ...base, topics, logging: { level: 'warn' } };
  };
  const admin = createKafka(as('admin'), testLogger, 'test-bootstrap').admin();
  await admin.connect();
  try {
    await ensureTopics(admin, as('admin'));
    await grantTopicAcls(admin, as('admin'));
  } finally {
    await admin.disconnect();
  }
  return {
    as,
    cleanup: async () => {
      const cleaner = createKafka(as('admin'), testLogger, 'test-cleanup').admin();
      await cleaner.connect();
      try {
        await revokeTopicAcls(cleaner, as('admin'));
        await cleaner.deleteTopics({ topics: Object.values(as('admin').topics).map((t) => t.name) });
      } finally {
        await cleaner.disconnect();
      }
    },
  };
}
