/** The pure response core: policy, the isolation gate, circuit breaker, commands, audit chain, API tokens. No I/O except loadPolicy. */
export { decide, globMatch, isIsolating, isProtected, KEY_COMPROMISE_TAG, policySchema, ruleMatches, type Decision, type IsolatingDecision, type Policy, type PolicyRule, type ResponseAction } from './policy.js';
export { loadPolicy, parsePolicy } from './load.js';
export { DEFAULT_POLICY } from './defaults.js';
export { breakerAlert, CIRCUIT_BREAKER_DETECTOR, CircuitBreaker, type BreakerVerdict } from './circuitBreaker.js';
export { gate, isUnverifiedAlert, IsolationPaths, UNVERIFIED_RULE_ID, UNVERIFIED_TAG, type GateContext, type GateVerdict, type HoldCode, type IsolationPath, type IsolationRequest, type RefuseCode } from './gate.js';
export { FLEET, FLEET_CONFIRMATION, buildCommand, commandIdFor, dueForRelease, expiryRelease, type CommandInput } from './commands.js';
export { GENESIS, appendEntry, canonicalJson, entryHash, verifyChain, type AuditEntry, type AuditRecord, type ChainVerdict } from './audit.js';
export { TokenAuth, type Role, type TokenEntry } from './auth.js';
