/**
 * The responder of bench/latency.ts in a process of its own, as it is
 * deployed (services/responder/main.ts): its event loop does not share the
 * detector's, so a detector checkpoint does not hold the responder's
 * decisions, and the other way round. It reports when it starts deciding each
 * alert and how long deciding and acting took (handleAlert, wrapped to
 * observe, not change), and its CPU time.
 *
 * Protocol (IPC messages): parent -> child `init`, `stop`;
 * child -> parent `ready`, `handled` (per handleAlert call), `progress` (CPU, every 250 ms), `stopped`.
 */
import { ResponderService } from '../../services/responder/service.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { policySchema } from '../../shared/response/index.js';

export interface ResponderInit {
  type: 'init';
  config: WardenConfig;
  /** The response policy as data (parsed here with the policy schema). */
  policy: unknown;
  groupId: string;
}
export interface ResponderHandled {
  type: 'handled';
  alertId: string;
  /** Wall clock (ms) when handleAlert started on the alert. */
  startedAt: number;
  ms: number;
}
export interface ResponderProgress {
  type: 'progress' | 'stopped';
  /** User + system CPU time of this process since it started, µs. */
  cpuMicros: number;
}

const send = (m: ResponderHandled | ResponderProgress | { type: 'ready' }) => {
  if (process.connected) process.send?.(m);
};
let service: ResponderService | null = null;
let progress: NodeJS.Timeout | null = null;
const cpuMicros = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

process.on('message', (m: ResponderInit | { type: 'stop' }) => {
  if (m.type === 'init') void start(m);
  else if (m.type === 'stop') void stop();
});
// The parent went away (crashed or was killed): do not linger as an orphan consumer.
process.on('disconnect', () => void stop());

async function start(init: ResponderInit): Promise<void> {
  const logger = createLogger('bench-responder', { level: 'warn' });
  service = new ResponderService({ config: init.config, logger, policy: policySchema.parse(init.policy), groupId: init.groupId });
  const handleAlert = service.handleAlert.bind(service);
  service.handleAlert = async (alert) => {
    const startedAt = Date.now();
    const t = performance.now();
    try {
      return await handleAlert(alert);
    } finally {
      send({ type: 'handled', alertId: alert.alertId, startedAt, ms: performance.now() - t } satisfies ResponderHandled);
    }
  };
  await service.start();
  progress = setInterval(() => send({ type: 'progress', cpuMicros: cpuMicros() } satisfies ResponderProgress), 250);
  send({ type: 'ready' });
}

async function stop(): Promise<void> {
  if (progress) clearInterval(progress);
  await service?.stop().catch(() => undefined);
  send({ type: 'stopped', cpuMicros: cpuMicros() } satisfies ResponderProgress);
  process.exit(0);
}
