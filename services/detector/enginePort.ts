/**
 * What the detector service needs from the pure engine. The service moves
 * bytes and state; the engine decides. Kept narrow so the same engine object
 * runs live, in `warden replay` and in tests.
 */
import type { Alert, AgentActionEvent } from '../../shared/schemas/generated.js';
import type { Verification } from '../../shared/signing/index.js';

export interface EnginePort {
  process(event: AgentActionEvent, verification: 'valid'): Alert[];
  /** An event that failed verification, with where it came from: counted per claimed agent, creates no agent state. */
  observeUnverified(event: AgentActionEvent, verification: Exclude<Verification, 'valid'>, source: { atMs: number; partition: number; offset: string }): Alert[];
  /** Closes the unverified-event window once `atMs` is past it (final counts). */
  flushUnverified(atMs: number): Alert[];
  /**
   * State of one agent, or undefined when the engine holds none: bytes (stored as they are) or a JSON-safe value
   * (stored as JSON text); see stateStore.ts. `importAgent` gets back what was exported, or a state stored by an
   * older version (the engine's adapter still reads its base64-in-JSON snapshots).
   */
  exportAgent(agentId: string): Uint8Array | unknown;
  importAgent(agentId: string, state: unknown): void;
  /** Forget an agent (its partition moved away, or the cache is being reloaded). */
  evictAgent(agentId: string): void;
  /** Every agent the engine holds state for. */
  agentIds(): string[];
  /** State shared across agents (peer-group baselines). */
  exportShared(): unknown;
  importShared(state: unknown): void;
}
