/**
 * Agent identity syntax, shared by the SDK (refuses a bad id at start), the
 * detector's intake (dead-letters a record that claims one) and every other
 * way into agent.events.
 *
 * An agentId is 1-128 characters of letters, digits and `. _ - : @ /`,
 * starting with a letter or digit. That leaves out, on purpose:
 * - `*`, the fleet key of agent.quarantine: a command under it reaches every
 *   agent, so no event may claim it;
 * - whitespace, control characters and Unicode separators, which would forge
 *   lines in logs, syslog and CEF;
 * - ids long enough to be a memory or header attack;
 * - the `attester:` prefix, which names the keyring entries of Warden
 *   components that vouch for events (shared/signing/hmac.ts).
 * Role and tenant are labels: up to 128 characters with no control
 * characters or line/paragraph separators.
 */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-:@/]{0,127}$/;
export const MAX_LABEL_LENGTH = 128;
/** C0, DEL, C1 (incl. U+0085 NEL), and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Why `agentId` is not an acceptable agent identity, or null when it is. */
export function agentIdProblem(agentId: string): string | null {
  if (agentId === '*') return 'agentId "*" is reserved for fleet-wide commands';
  if (agentId.startsWith('attester:')) return 'agentIds starting with "attester:" are reserved for the keys of Warden components (otel-ingest, mcp-gateway)';
  if (agentId.length === 0) return 'agentId is empty';
  if (agentId.length > 128) return `agentId is ${agentId.length} characters long (at most 128)`;
  if (!AGENT_ID_PATTERN.test(agentId)) return `agentId ${JSON.stringify(agentId.slice(0, 64))} has characters outside letters, digits and . _ - : @ / (or does not start with a letter or digit)`;
  return null;
}

/** Why a role or tenant label is not acceptable, or null. */
export function labelProblem(field: string, value: string): string | null {
  if (value.length > MAX_LABEL_LENGTH) return `${field} is ${value.length} characters long (at most ${MAX_LABEL_LENGTH})`;
  if (UNSAFE_CHARS.test(value)) return `${field} contains control characters or line separators`;
  return null;
}
