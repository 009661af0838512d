import { relative } from 'node:path';
import type { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from '../stack/index.js';
import { KAFKA_PRINCIPALS } from '../stack/credentials.js';
import { secureStackDown, secureStackStatus, secureStackUp, type SecureUpResult } from '../stack/secure.js';
import { configFrom, progress, type GlobalOptions } from './common.js';

interface StackOptions { secure?: boolean; redisCluster?: boolean }

/** What a service needs to connect to the secure stack, with every password replaced by where it is. */
function secureEnvSummary(r: SecureUpResult): string {
  const file = (p: string) => relative(process.cwd(), `${r.envDir}/${p}.env`);
  const shown: [string, string][] = [
    ['WARDEN_KAFKA_BROKERS', r.kafkaBrokers.join(',')],
    ['WARDEN_KAFKA_SSL', 'true'],
    ['WARDEN_KAFKA_SSL_CA', r.caCert],
    ['WARDEN_KAFKA_SASL_MECHANISM', 'scram-sha-512'],
    ['WARDEN_KAFKA_SASL_USERNAME', '<principal>'],
    ['WARDEN_KAFKA_SASL_PASSWORD', `(in ${file('<principal>')})`],
    ['WARDEN_KAFKA_MANAGE_TOPICS', 'false (true for operator)'],
    ['WARDEN_REGISTRY_URL', r.registryUrl],
    ['WARDEN_REDIS_URL', `${r.redisUrl} (detector, responder, siem-forwarder, operator)`],
    ['WARDEN_REDIS_USERNAME', '<principal>'],
    ['WARDEN_REDIS_PASSWORD', `(in ${file('<principal>')})`],
    ['WARDEN_REDIS_TLS_CA', r.caCert],
  ];
  return [
    `each principal's environment is in ${file('<principal>')} (mode 0600, passwords inside; all of them in ${relative(process.cwd(), r.credentialsFile)}):`,
    ...shown.map(([k, v]) => `  ${k}=${v}`),
    `principals: ${KAFKA_PRINCIPALS.join(', ')} (admin: bootstrap of topics and ACLs only)`,
    `start a service as one: set -a; . ${file('detector')}; set +a; npx tsx services/detector/main.ts`,
  ].join('\n');
}

export function registerStack(program: Command, globals: () => GlobalOptions): void {
  const stack = program.command('stack').description('run a local Kafka (KRaft), Apicurio schema registry and Redis on 127.0.0.1 without Docker');
  stack
    .command('up')
    .description('start what is not running yet (downloads the jars with Maven on first use) and wait until it is ready')
    .option('--secure', 'the secured stack beside the plain one: Kafka SASL_SSL + ACLs on 9192, Redis TLS + ACL users, a local CA')
    .option('--redis-cluster', 'also a local Redis Cluster (3 masters on free ports) beside the single Redis, for WARDEN_REDIS_CLUSTER_NODES')
    .action(async (opts: StackOptions) => {
      if (opts.secure) {
        const r = await secureStackUp(configFrom(globals()), progress);
        process.stdout.write(
          `secure stack ready in ${(r.elapsedMs / 1000).toFixed(1)} s: kafka ${r.kafkaBrokers.join(',')} (SASL_SSL), redis ${r.redisUrl}, registry ${r.registryUrl}` +
            `${r.startedNow.length ? ` (started ${r.startedNow.join(', ')})` : ' (all already running)'}\n${secureEnvSummary(r)}\n`,
        );
        return;
      }
      const r = await stackUp(configFrom(globals()), progress, { redisCluster: opts.redisCluster === true });
      process.stdout.write(
        `stack ready in ${(r.elapsedMs / 1000).toFixed(1)} s: kafka ${r.kafkaBrokers.join(',')}, registry ${r.registryUrl}, redis ${r.redisUrl}` +
          `${r.startedNow.length ? ` (started ${r.startedNow.join(', ')})` : ' (all already running)'}\n` +
          (r.redisClusterNodes ? `redis cluster: WARDEN_REDIS_CLUSTER_NODES=${r.redisClusterNodes.join(',')} (services use it only when this is set)\n` : ''),
      );
    });
  stack
    .command('down')
    .description('stop what `stack up` started (never a server it found running)')
    .option('--secure', 'the secured stack')
    .option('--purge', 'with --secure: also delete its data, certificates and credentials')
    .action(async (opts: StackOptions & { purge?: boolean }) => {
      const config = configFrom(globals());
      const stopped = opts.secure ? await secureStackDown(config, progress, undefined, opts.purge === true) : await stackDown(config, progress);
      process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : 'nothing to stop\n');
    });
  stack
    .command('status')
    .description('show which parts of the stack answer')
    .option('--secure', 'the secured stack')
    .option('--json', 'print JSON')
    .action(async (opts: StackOptions & { json?: boolean }) => {
      const config = configFrom(globals());
      const status = opts.secure ? await secureStackStatus(config) : await stackStatus(config);
      if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else for (const s of status) process.stdout.write(`${s.component.padEnd(9)} ${s.up ? 'up  ' : 'down'} ${s.endpoint}${s.managed ? ' (started by warden)' : ''}${s.version ? ` ${s.version}` : ''}\n`);
      if (status.some((s) => !s.up)) process.exitCode = 3;
    });
}
