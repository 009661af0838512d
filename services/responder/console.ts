/**
 * The console's server side, wired beside the responder: the feed (Kafka ->
 * ConsoleStore), the SSE hub, and a watch on the audit trail's length, which
 * grows on every decision, approval request and command from any responder
 * instance (approvals are queued by the alert consumer, not by the API).
 * Streams carry hints (`alert`, `command`, `seen`, `audit`); the page
 * re-reads the API, so a missed hint costs nothing but a second of delay.
 */
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import { ConsoleFeed } from './consoleFeed.js';
import { ConsoleStore } from './consoleStore.js';
import type { ResponderService } from './service.js';
import { SseHub } from './sse.js';
import { consoleDir } from './staticFiles.js';

export interface ConsoleServer {
  store: ConsoleStore;
  hub: SseHub;
  /** The built bundle (null: not built; the API then answers 503 on console paths). */
  dir: string | null;
  stop(): Promise<void>;
}

export async function startConsole(o: { config: WardenConfig; logger: Logger; responder: ResponderService; groupId: string; auditPollMs?: number }): Promise<ConsoleServer> {
  const redis = createRedis(o.config);
  const store = new ConsoleStore(redis);
  const hub = new SseHub();
  const feed = new ConsoleFeed({ kafka: createKafka(o.config, o.logger, 'console'), registry: createRegistry(o.config), config: o.config, store, logger: o.logger, groupId: o.groupId });
  // Presence changes are frequent; one hint per second at most is enough for a "last seen" column.
  let seenPending = false;
  feed.onChange((c) => {
    if (c.kind === 'seen') seenPending = true;
    else hub.broadcast(c.kind, c.kind === 'alert' ? { alertIds: c.alerts.map((a) => a.alertId), agentIds: c.alerts.map((a) => a.agentId) } : { agentIds: c.agentIds });
  });
  await feed.start();
  let auditLength = await o.responder.audit.length();
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    o.responder.audit.length().then((n) => {
      if (n !== auditLength) hub.broadcast('audit', { entries: n });
      auditLength = n;
      if (seenPending) hub.broadcast('seen', {});
      seenPending = false;
    }).catch((err: Error) => o.logger.warn({ err: err.message }, 'console: audit length poll failed'))
      .finally(() => { polling = false; });
  }, o.auditPollMs ?? 1000);
  const dir = consoleDir();
  if (!dir) o.logger.warn('console bundle not found: run `npm run build:console`; the API works without it');
  return {
    store, hub, dir,
    stop: async () => {
      clearInterval(timer);
      hub.close();
      await feed.stop();
      await redis.quit().catch(() => undefined);
    },
  };
}
