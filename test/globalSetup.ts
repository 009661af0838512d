/**
 * Integration tests run against the real local stack. Start what is not
 * running (first run downloads the jars), and afterwards stop only what this
 * run started: a stack the developer started stays up.
 */
import { stackDown, stackUp } from '../cli/stack/index.js';
import { loadConfig } from '../shared/config/index.js';

export default async function setup(): Promise<() => Promise<void>> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const config = loadConfig();
  const log = (line: string) => console.log(`[stack] ${line}`);
  const r = await stackUp(config, log);
  // Workers read endpoints from .warden/stack.json through loadConfig(); the env makes it explicit.
  process.env.WARDEN_REDIS_URL = r.redisUrl;
  return async () => {
    if (r.startedNow.length > 0 && process.env.WARDEN_KEEP_STACK !== '1') await stackDown(config, log, r.startedNow);
  };
}
