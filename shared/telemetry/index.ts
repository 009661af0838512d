/**
 * Agent Warden telemetry SDK (import from 'agent-warden/telemetry').
 * See README "Instrument your agent".
 */
export { createAgentTelemetry, type AgentTelemetry, type TelemetryOptions, type TelemetryStats } from './telemetry.js';
export { buildEvent, type ActionInput, type Identity } from './action.js';
export { ACTION_VOCABULARY, isKnownAction, type KnownAction } from './vocabulary.js';
export { BoundedBuffer, type OverflowPolicy } from './buffer.js';
export { SequenceCounter } from './sequence.js';
export { capabilityMatches, isRevoked } from './capabilities.js';
export { KillSwitchState, FLEET_KEY, type AgentState, type Mode, type Decision } from './killSwitchState.js';
export { KillSwitch, type IgnoredCommands, type KillSwitchOptions, type StateListener } from './killSwitch.js';
export { Keyring, signHeaders, verifySignature, HEADER_KID, HEADER_SIG, type Verification } from '../signing/index.js';
export { CommandKeyset, COMMAND_REJECTIONS, type CommandRejection } from '../signing/index.js';
export { AgentQuarantinedError, InvalidEventError } from '../errors/index.js';
