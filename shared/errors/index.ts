/**
 * Typed errors. Each carries a `reason` code that the DLQ header, the metrics
 * and the logs reuse, and a `retriable` flag (after kafkajs's src/errors.js):
 * callers decide to retry or dead-letter by the flag, never by the message.
 */
export type ReasonCode =
  | 'config.invalid'
  | 'event.invalid'
  | 'event.undecodable'
  | 'event.unknown-schema'
  | 'event.schema-mismatch'
  | 'event.oversized'
  | 'event.oversized-headers'
  | 'event.bad-identity'
  | 'batch.parked'
  | 'state.moved'
  | 'command.unverified'
  | 'event.timestamp-skew'
  | 'event.signature-missing'
  | 'event.signature-invalid'
  | 'event.unknown-key'
  | 'agent.quarantined'
  | 'buffer.full'
  | 'client.closed'
  | 'stack.missing-tool'
  | 'stack.port-taken'
  | 'stack.timeout'
  | 'stack.download-failed'
  | 'api.no-token'
  | 'api.unreachable'
  | 'api.unauthorized'
  | 'api.forbidden'
  | 'api.refused'
  | 'api.failed'
  | 'rules.invalid'
  | 'scenario.unknown-kind';

export class WardenError extends Error {
  readonly reason: ReasonCode;
  readonly retriable: boolean;
  constructor(reason: ReasonCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.reason = reason;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration value is missing or wrong; the message names the key and where it came from. */
export class ConfigError extends WardenError {
  readonly issues: string[];
  constructor(issues: string[]) {
    super('config.invalid', `invalid configuration:\n  ${issues.join('\n  ')}`);
    this.issues = issues;
  }
}

/** An event (or a message claiming to be one) is not acceptable. */
export class InvalidEventError extends WardenError {
  readonly field: string | undefined;
  constructor(reason: ReasonCode, message: string, field?: string) {
    super(reason, message);
    this.field = field;
  }
}

/** The agent is quarantined, or the capability it asked for is revoked. */
export class AgentQuarantinedError extends WardenError {
  readonly agentId: string;
  readonly capability: string;
  readonly state: string;
  constructor(agentId: string, capability: string, state: string, why: string) {
    super('agent.quarantined', `agent ${agentId} may not use ${capability}: ${state} (${why})`);
    this.agentId = agentId;
    this.capability = capability;
    this.state = state;
  }
}

/** The local stack cannot start; the message says what is missing and how to fix it. */
export class StackError extends WardenError {}

/** The rules or policy YAML does not validate. */
export class RulesError extends WardenError {
  constructor(issues: string[], source: string) {
    super('rules.invalid', `invalid rules in ${source}:\n  ${issues.join('\n  ')}`);
  }
}

const OUTAGE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|socket hang up|Connection is closed|connection closed|MaxRetriesPerRequest|not connected|timed? ?out/i;

/**
 * Whether an error is an outage worth waiting out (a broker, Redis or the registry unreachable) rather than
 * something about the data or the code. Reads the `retriable` flag (ours and kafkajs's), also on the errors
 * it wraps (`cause`, kafkajs's `originalError`), then the usual connection failures by name and message.
 */
export function isRetriable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { retriable?: unknown; name?: unknown; message?: unknown; code?: unknown; cause?: unknown; originalError?: unknown };
  if (e.retriable === true) return true;
  if (typeof e.name === 'string' && /Connection|Timeout|MaxRetriesPerRequest/.test(e.name)) return true;
  if (typeof e.code === 'string' && OUTAGE.test(e.code)) return true;
  if (typeof e.message === 'string' && OUTAGE.test(e.message)) return true;
  return isRetriable(e.originalError, depth + 1) || isRetriable(e.cause, depth + 1);
}
