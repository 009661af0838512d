/** The pure response core: policy, circuit breaker, commands, audit chain, API tokens. No I/O except loadPolicy. */
export { decide, globMatch, isProtected, policySchema, ruleMatches, type Decision, type Policy, type PolicyRule, type ResponseAction } from './policy.js';
export { loadPolicy, parsePolicy } from './load.js';
export { DEFAULT_POLICY } from './defaults.js';
export { CircuitBreaker, type BreakerVerdict } from './circuitBreaker.js';
export { FLEET, buildCommand, commandIdFor, dueForRelease, expiryRelease, type CommandInput } from './commands.js';
export { GENESIS, appendEntry, canonicalJson, entryHash, verifyChain, type AuditEntry, type AuditRecord, type ChainVerdict } from './audit.js';
export { TokenAuth, type Role, type TokenEntry } from './auth.js';
