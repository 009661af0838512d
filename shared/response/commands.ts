/**
 * QuarantineCommand records with deterministic ids: the same cause gives the
 * same commandId, so a redelivered alert or a retried request is harmless.
 */
import { createHash } from 'node:crypto';
import type { CommandType, QuarantineCommand } from '../schemas/generated.js';

export const FLEET = '*';
/** What an operator types to quarantine the whole fleet: the only way to isolate the fleet key. */
export const FLEET_CONFIRMATION = 'quarantine-the-whole-fleet';

export function commandIdFor(agentId: string, type: CommandType, cause: string[]): string {
  return createHash('sha256').update([agentId, type, ...[...cause].sort()].join('\n')).digest('hex').slice(0, 32);
}

export interface CommandInput {
  agentId: string;
  type: CommandType;
  reason: string;
  issuedBy: string;
  issuedAt: number;
  alertIds?: string[];
  revokedCapabilities?: string[];
  ttlMs?: number | null;
  /** For operator commands without alerts: a request id that makes the command unique. */
  requestId?: string;
}

export function buildCommand(c: CommandInput): QuarantineCommand {
  const alertIds = [...new Set(c.alertIds ?? [])].sort();
  const cause = alertIds.length > 0 ? alertIds : [c.requestId ?? `${c.issuedBy}@${c.issuedAt}`];
  return {
    commandId: commandIdFor(c.agentId, c.type, cause),
    agentId: c.agentId,
    type: c.type,
    revokedCapabilities: c.type === 'THROTTLE' ? [...(c.revokedCapabilities ?? [])] : [],
    reason: c.reason,
    alertIds,
    issuedBy: c.issuedBy,
    issuedAt: c.issuedAt,
    expiresAt: c.type !== 'RELEASE' && c.ttlMs ? c.issuedAt + c.ttlMs : null,
  };
}

/** The RELEASE that ends an isolation whose TTL has passed. */
export function expiryRelease(active: QuarantineCommand, nowMs: number): QuarantineCommand {
  return buildCommand({ agentId: active.agentId, type: 'RELEASE', reason: `TTL of ${active.type} ${active.commandId} expired`, issuedBy: 'ttl-expiry', issuedAt: nowMs, requestId: `expiry:${active.commandId}` });
}

/** Isolations whose expiry has passed. */
export function dueForRelease(active: Iterable<QuarantineCommand>, nowMs: number): QuarantineCommand[] {
  return [...active].filter((c) => c.type !== 'RELEASE' && c.expiresAt !== null && c.expiresAt <= nowMs);
}
