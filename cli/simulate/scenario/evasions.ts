/**
 * Places the evasion incidents (evasionKinds.ts lists them, evasionsVolume.ts
 * and evasionsAccess.ts make them). Each kind schedules from its own fork of
 * the scenario's random stream, each incident draws from its own fork and
 * makes its events in an event-id space of its own: adding or removing a kind
 * moves no other incident, classic or evasion.
 */
import { HOUR_MS } from './fleet.js';
import type { LabelledIncident } from './incidents.js';
import type { Rng } from './prng.js';
import { inEventIdSpace } from './traffic.js';
import { EVASION_TYPES, type EvasionType } from './evasionKinds.js';
import type { EvasionKind, EvasionWorld } from './evasionCommon.js';
import { VOLUME_EVASIONS } from './evasionsVolume.js';
import { ACCESS_EVASIONS } from './evasionsAccess.js';

export const EVASIONS: Record<EvasionType, EvasionKind> = { ...VOLUME_EVASIONS, ...ACCESS_EVASIONS };

/** Keep incidents on one agent this far apart, so each one is judged on its own (as the classic ones). */
export interface Spacing {
  busy: Map<string, number[]>;
  spacingMs: number;
}

function isFree(spacing: Spacing, agentId: string, ts: number): boolean {
  return !(spacing.busy.get(agentId) ?? []).some((t) => Math.abs(t - ts) < spacing.spacingMs);
}

function markBusy(spacing: Spacing, agentId: string, ts: number): void {
  const list = spacing.busy.get(agentId) ?? [];
  list.push(ts);
  spacing.busy.set(agentId, list);
}

/** Up to `perType` incidents of each evasion kind in `types` (others ignored); `nextId` numbers them after the classic ones. */
export function placeEvasions(world: EvasionWorld, root: Rng, types: readonly string[], perType: number, spacing: Spacing, nextId: () => string): LabelledIncident[] {
  const placed: LabelledIncident[] = [];
  for (const [kindIndex, type] of EVASION_TYPES.entries()) {
    if (!types.includes(type)) continue;
    const kind = EVASIONS[type];
    const sched = root.fork(3000 + kindIndex);
    for (let k = 0; k < perType; k++) {
      for (let attempt = 0; attempt < 4000; attempt++) {
        const track = sched.pick(world.tracks.slice(0, world.fleetSize));
        const from = kind.earliest ? kind.earliest(world, track.agent) : track.agent.joinTs + world.learningPeriodMs + 2 * HOUR_MS;
        const to = world.endTs - 5 * HOUR_MS;
        if (to <= from) continue;
        const start = Math.floor(sched.uniform(from, to) / 1000) * 1000;
        if (!kind.eligible(world, track, start) || !isFree(spacing, track.agent.agentId, start)) continue;
        const ordinal = 1 + kindIndex * 1000 + k;
        const label = inEventIdSpace(ordinal, () => kind.inject({ world, track, start, rng: sched.fork(ordinal), ordinal }));
        const agentId = label.agentId ?? track.agent.agentId;
        for (const who of label.participants ?? [agentId]) markBusy(spacing, who, start);
        for (const ts of label.alsoBusy ?? []) markBusy(spacing, agentId, ts);
        const incident: LabelledIncident = {
          id: nextId(),
          type,
          variant: label.variant,
          agentId,
          start,
          end: label.end,
          duringWarmup: label.duringWarmup ?? false,
        };
        if (label.participants) incident.participants = label.participants;
        if (label.groupIds) incident.groupIds = label.groupIds;
        if (label.detectFrom !== undefined) incident.detectFrom = label.detectFrom;
        if (label.targetBuckets !== undefined) incident.targetBuckets = label.targetBuckets;
        placed.push(incident);
        break;
      }
    }
  }
  return placed;
}
