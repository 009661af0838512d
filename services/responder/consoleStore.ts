/**
 * What the web console shows, kept in Redis so every responder instance
 * serves the same view: recent alerts (latest version of each alertId, capped),
 * each agent's last arrival on agent.events, and the latest verified isolation
 * command per agent (what the SDKs obey). Written by the console feed, read by
 * the API; derived views (fleet rows) are pure functions below.
 */
import type { Redis } from '../../shared/redis/index.js';
import { FLEET } from '../../shared/response/index.js';
import type { Alert, QuarantineCommand } from '../../shared/schemas/generated.js';

const ALERTS = 'console:alerts';
const RECENT = 'console:alerts:recent';
const LAST_SEEN = 'console:last-seen';
const COMMANDS = 'console:commands';

export type AgentState = 'active' | 'throttled' | 'quarantined';

export interface FleetRow {
  agentId: string;
  agentRole: string | null;
  state: AgentState;
  /** The command in force (null when none, or when it was a release or has expired). */
  command: QuarantineCommand | null;
  /** Wall-clock arrival of the agent's latest record on agent.events (Kafka record time). */
  lastSeenMs: number | null;
  /** Alerts about the agent received after its latest release (all of them if it was never released). */
  openAlerts: number;
}

export interface FleetView {
  agents: FleetRow[];
  /** The fleet-wide switch (key `*`) when it is in force. */
  fleetCommand: QuarantineCommand | null;
}

export interface StoredAlert { alert: Alert; receivedAt: number }

export class ConsoleStore {
  constructor(
    private readonly redis: Redis,
    /** How many alerts are kept (the oldest are dropped first). */
    private readonly maxAlerts = 1000,
  ) {}

  async recordAlerts(alerts: StoredAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const tx = this.redis.multi();
    for (const a of alerts) {
      tx.hset(ALERTS, a.alert.alertId, JSON.stringify(a));
      tx.zadd(RECENT, a.receivedAt, a.alert.alertId);
    }
    await tx.exec();
    const overflow = (await this.redis.zcard(RECENT)) - this.maxAlerts;
    if (overflow > 0) {
      const dropped = await this.redis.zrange(RECENT, 0, overflow - 1);
      if (dropped.length) await this.redis.multi().zrem(RECENT, ...dropped).hdel(ALERTS, ...dropped).exec();
    }
  }

  /** One write per batch: the latest arrival per agent (only ever moves forward). */
  async recordSeen(seen: Map<string, number>): Promise<void> {
    if (seen.size === 0) return;
    const current = await this.redis.hmget(LAST_SEEN, ...seen.keys());
    const newer: string[] = [];
    [...seen].forEach(([agentId, at], i) => {
      if (Number(current[i] ?? 0) < at) newer.push(agentId, String(at));
    });
    if (newer.length) await this.redis.hset(LAST_SEEN, ...newer);
  }

  /** The topic is compacted and ordered per key: the latest verified record is the agent's command. */
  async recordCommand(cmd: QuarantineCommand): Promise<void> {
    await this.redis.hset(COMMANDS, cmd.agentId, JSON.stringify(cmd));
  }

  /** Newest first. */
  async alerts(limit = 200): Promise<StoredAlert[]> {
    const ids = await this.redis.zrevrange(RECENT, 0, limit - 1);
    if (ids.length === 0) return [];
    const values = await this.redis.hmget(ALERTS, ...ids);
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as StoredAlert);
  }

  async fleet(now: number): Promise<FleetView> {
    const [seen, commands, alerts] = await Promise.all([this.redis.hgetall(LAST_SEEN), this.redis.hgetall(COMMANDS), this.alerts(this.maxAlerts)]);
    return fleetView(
      Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, Number(v)])),
      Object.values(commands).map((c) => JSON.parse(c) as QuarantineCommand),
      alerts,
      now,
    );
  }
}

/** Pure: the fleet table from what the store holds. */
export function fleetView(lastSeen: Record<string, number>, commands: QuarantineCommand[], alerts: StoredAlert[], now: number): FleetView {
  const byAgent = new Map(commands.map((c) => [c.agentId, c]));
  const inForce = (c: QuarantineCommand | undefined) => (c && c.type !== 'RELEASE' && (c.expiresAt === null || c.expiresAt > now) ? c : null);
  const fleetCommand = inForce(byAgent.get(FLEET));
  const ids = new Set([...Object.keys(lastSeen), ...byAgent.keys(), ...alerts.map((a) => a.alert.agentId)]);
  ids.delete(FLEET);
  const agents = [...ids].sort().map((agentId): FleetRow => {
    const latest = byAgent.get(agentId);
    const command = inForce(latest) ?? (fleetCommand?.type === 'QUARANTINE' ? fleetCommand : null);
    const releasedAt = latest?.type === 'RELEASE' ? latest.issuedAt : 0;
    const mine = alerts.filter((a) => a.alert.agentId === agentId);
    return {
      agentId,
      agentRole: mine[0]?.alert.agentRole ?? null,
      state: command?.type === 'QUARANTINE' ? 'quarantined' : command?.type === 'THROTTLE' ? 'throttled' : 'active',
      command,
      lastSeenMs: lastSeen[agentId] ?? null,
      openAlerts: mine.filter((a) => a.receivedAt > releasedAt).length,
    };
  });
  return { agents, fleetCommand };
}
