/**
 * `warden run detector|responder|siem-forwarder|all`: the services without
 * Docker, in the foreground. The same wiring as services/<name>/main.ts (the
 * definitions are imported from there) and the same shell (services/common/run.ts):
 * a health server per service, one clean stop on SIGTERM/SIGINT.
 */
import type { Command } from 'commander';
import type { ServiceDefinition } from '../../services/common/run.js';
import type { GlobalOptions } from './common.js';

/** Loaded on demand, so `warden --help` does not pay for every service's imports. */
const SERVICES: Record<string, () => Promise<ServiceDefinition>> = {
  detector: async () => (await import('../../services/detector/main.js')).detector,
  responder: async () => (await import('../../services/responder/main.js')).responder,
  'siem-forwarder': async () => (await import('../../services/siem-forwarder/main.js')).siemForwarder,
  // Not part of `all`: it needs its own attester key and sender tokens (README, "Watch agents that already emit OpenTelemetry").
  'otel-ingest': async () => (await import('../../services/otel-ingest/main.js')).otelIngest,
};
const NAMES = Object.keys(SERVICES);
const ALL = ['detector', 'responder', 'siem-forwarder'];

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--health-port must be an integer from 0 to 65535 (0 = any free port), got ${JSON.stringify(v)}`);
  return n;
}

/** Which services a name means, in pipeline order (all: detector, responder, siem-forwarder). */
export function servicesFor(what: string): string[] {
  if (what === 'all') return ALL;
  if (!NAMES.includes(what)) throw new Error(`run: unknown service "${what}" (use ${[...NAMES, 'all'].join(', ')})`);
  return [what];
}

/** Health ports: --health-port N gives the first service N and the next ones N+1, N+2 (0: each any free port). */
export function healthPorts(names: string[], first: number | undefined): Record<string, number> | undefined {
  if (first === undefined) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, first === 0 ? 0 : first + i]));
}

export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description('run a pipeline service in the foreground, without Docker (all: detector, responder and SIEM forwarder in one process)')
    .argument('<service>', `one of: ${[...NAMES, 'all'].join(', ')}`)
    .option('--health-port <n>', 'health/metrics port of the (first) service; with all the next ones get n+1, n+2; 0 = any free port (default: 9464 detector, 9465 responder, 9466 siem-forwarder, or WARDEN_METRICS_PORT for one service)', port)
    .addHelpText('after', `
Each service serves, on 127.0.0.1 at its health port:
  /healthz  200 while the process is alive
  /readyz   200 once it is connected and consuming, else 503
  /metrics  Prometheus text
SIGTERM or Ctrl-C stops each service once (stop consuming, flush, commit), exit 0.

Examples:
  warden stack up                       # Kafka, registry and Redis on 127.0.0.1
  WARDEN_KEYRING_FILE=.warden/simulate-keyring.json warden run all
  curl -s localhost:9464/readyz         # detector ready?
  WARDEN_API_TOKENS='[{"name":"me","role":"responder","token":"a-long-random-token"}]' warden run responder

Environment: the WARDEN_* configuration (README "Configuration"), plus
WARDEN_KEYRING_FILE and WARDEN_DETECTOR_NAME_HASH_SECRET (detector), WARDEN_RULES,
WARDEN_POLICY, WARDEN_API_TOKENS and WARDEN_API_PORT (responder), WARDEN_DETECTOR_GROUP.`)
    .action(async (what: string, opts: { healthPort?: number }) => {
      const names = servicesFor(what);
      const defs = await Promise.all(names.map((n) => SERVICES[n]!()));
      const { runServices } = await import('../../services/common/run.js');
      await runServices(defs, { configFile: globals().config, ports: healthPorts(names, opts.healthPort) });
    });
}
