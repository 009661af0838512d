/** Adapts the pure engine (shared/detection) to what the detector service needs (EnginePort). */
import { createEngine, loadRules, type AgentSnapshot, type Engine, type Json, type Rules } from '../../shared/detection/index.js';
import type { EnginePort } from './enginePort.js';

export function createDetectionEngine(rules: Rules | string | undefined = undefined): EnginePort & { engine: Engine } {
  const engine = createEngine(typeof rules === 'object' ? rules : loadRules(rules));
  return {
    engine,
    // Decoded events are fresh objects owned by the batch: tagging them in place avoids a copy per event.
    process: (event, verification) => engine.process(Object.assign(event, { verification })),
    observeUnverified: (event, verification, source) => engine.observeUnverified(Object.assign(event, { verification }), source),
    flushUnverified: (atMs) => engine.flushUnverified(atMs),
    exportAgent: (agentId) => engine.snapshotAgent(agentId) ?? undefined,
    importAgent: (agentId, state) => engine.restoreAgent(agentId, state as AgentSnapshot),
    evictAgent: (agentId) => void engine.dropAgent(agentId),
    agentIds: () => engine.agentIds(),
    exportShared: () => engine.snapshotPeers(),
    importShared: (state) => {
      if (state !== null && state !== undefined) engine.restorePeers(state as Json);
    },
  };
}
