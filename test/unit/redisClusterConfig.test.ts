/** redis.cluster in the one config: nodes from the environment as a list, clear errors for bad nodes and a braced prefix. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { ConfigError } from '../../shared/errors/index.js';

const load = (env: Record<string, string>) => loadConfig({ env, useStackFile: false });

describe('redis.cluster', () => {
  it('is off by default: one Redis at redis.url', () => {
    expect(load({}).redis.cluster).toBeUndefined();
  });

  it('reads WARDEN_REDIS_CLUSTER_NODES as a comma-separated list of host:port', () => {
    expect(load({ WARDEN_REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' }).redis.cluster).toEqual({ nodes: ['10.0.0.1:7000', '10.0.0.2:7001'] });
  });

  it('names the variable of a node that is not host:port', () => {
    expect(() => load({ WARDEN_REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow(/redis\.cluster\.nodes\.0: expected host:port \(from WARDEN_REDIS_CLUSTER_NODES\)/);
  });

  it('refuses a key prefix with a brace on a cluster (it would become the hash tag)', () => {
    const err = (() => {
      try {
        load({ WARDEN_REDIS_CLUSTER_NODES: '127.0.0.1:7000', WARDEN_REDIS_KEY_PREFIX: 'w{x}:' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toMatch(/redis\.keyPrefix: must not contain \{ or \}/);
    expect(load({ WARDEN_REDIS_KEY_PREFIX: 'w{x}:' }).redis.keyPrefix).toBe('w{x}:'); // fine on one server
  });
});
