/** Adapts the pure engine (shared/detection) to what the detector service needs (EnginePort). */
import { createEngine, loadRules, SnapshotBytesError, SnapshotVersionError, type AgentSnapshot, type Engine, type Json, type Rules } from '../../shared/detection/index.js';
import type { EnginePort } from './enginePort.js';

export function createDetectionEngine(rules: Rules | string | undefined = undefined, options: { nameHashSecret?: string } = {}): EnginePort & { engine: Engine } {
  const engine = createEngine(typeof rules === 'object' ? rules : loadRules(rules), options);
  return {
    engine,
    // Decoded events are fresh objects owned by the batch: tagged in place (a spread would give each copy a hidden class
    // of its own, slow to read even once); the engine copies each into its one event shape (engine/eventShape.ts).
    process: (event, verification) => engine.process(Object.assign(event, { verification })),
    observeUnverified: (event, verification, source) => engine.observeUnverified(Object.assign(event, { verification }), source),
    flushUnverified: (atMs) => engine.flushUnverified(atMs),
    // The compact binary snapshot, stored in Redis as raw bytes (stateStore.ts).
    exportAgent: (agentId) => engine.snapshotAgentBytes(agentId) ?? undefined,
    importAgent: (agentId, state) => {
      try {
        if (state instanceof Uint8Array) engine.restoreAgentBytes(agentId, state);
        // Written before the store kept bytes as they are: base64 inside a JSON string.
        else if (typeof state === 'string') engine.restoreAgentBytes(agentId, Buffer.from(state, 'base64'));
        else engine.restoreAgent(agentId, state as AgentSnapshot);
      } catch (err) {
        // An old-format or corrupt stored state is refused (counted in engine.stats().refusedSnapshots, the error names
        // the version): the agent's baselines start afresh instead of failing every batch that touches it.
        if (err instanceof SnapshotVersionError || err instanceof SnapshotBytesError) return;
        throw err;
      }
    },
    evictAgent: (agentId) => void engine.dropAgent(agentId),
    agentIds: () => engine.agentIds(),
    exportShared: () => engine.snapshotPeers(),
    importShared: (state) => {
      if (state !== null && state !== undefined) engine.restorePeers(state as Json);
    },
  };
}
