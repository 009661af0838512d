// Generated from schemas/*.avsc by scripts/gen-types.ts. Do not edit: run `npm run gen:types`.

export type Outcome = 'SUCCESS' | 'DENIED' | 'ERROR';
export const OutcomeValues = ['SUCCESS', 'DENIED', 'ERROR'] as const;

/** One action taken by an AI agent, published by the agent's telemetry SDK to agent.events (key = agentId). The HMAC-SHA256 signature over these exact value bytes travels in the Kafka headers warden-kid and warden-sig. */
export interface AgentActionEvent {
  /** UUIDv7 assigned by the SDK; unique per event and roughly time-ordered. */
  eventId: string;
  /** Stable identity of the agent; also the Kafka key, so one agent's events stay in order on one partition. */
  agentId: string;
  /** Role or peer group of the agent (e.g. support, finance, research); new agents are compared with their peers. */
  agentRole: string;
  /** Tenant or business unit that owns the agent. */
  tenantId: string;
  /** Conversation or task session the action belongs to, if any. */
  sessionId: null | string;
  /** Human or service on whose behalf the agent acts, if known (pseudonymous id preferred: no raw PII). */
  principal: null | string;
  /** Event time in epoch milliseconds (UTC), set when the action happened. All detection windows use this, not the wall clock. */
  timestamp: number;
  /** Per-agent sequence number that only goes up, also across restarts of the agent; a reused or decreasing value signals a replay or an impostor. */
  seq: number;
  /** Dotted action name from the documented vocabulary: tool.call, api.request, data.read, data.write, auth.login, net.egress, payment.transfer, email.send, file.delete, prompt.input, model.output, permission.change. Other names are accepted and flagged (see attributes.vocabulary). */
  action: string;
  /** What was acted on: a table, a file path, a tool name, an API route, an account. */
  resource: null | string;
  /** Where it went: a host for egress, a recipient domain for email, a payee for payments. */
  target: null | string;
  /** SUCCESS, DENIED (refused by an authorization check) or ERROR (failed, e.g. bad credentials). */
  outcome: Outcome;
  /** Bytes received by the agent for this action. */
  bytesIn: number;
  /** Bytes sent out by the agent for this action (exfiltration signal). */
  bytesOut: number;
  /** Number of records read or written. */
  records: number;
  /** Model tokens consumed by this action. */
  tokens: number;
  /** Monetary amount for payment actions, in currency units. */
  amount: null | number;
  /** ISO 4217 currency code of amount. */
  currency: null | string;
  /** Short excerpt of the input or output text (truncated by the SDK to a configured size), scanned for prompt-injection markers. Never forwarded raw to the SIEM. */
  text: null | string;
  /** Free-form string attributes. The SDK sets textTruncated=true when it truncated text and vocabulary=unknown for an action outside the vocabulary. */
  attributes: Record<string, string>;
}

export type Severity = 'INFO' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export const SeverityValues = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

/** Why the alert fired: the observation against the baseline. */
export interface Evidence {
  /** What was measured, e.g. count(data.read) per bucket, bytesOut per bucket, resource first seen. */
  metric: string;
  /** Observed value in the window. */
  observed: number;
  /** Mean of the baseline window. */
  baselineMean: null | number;
  /** Standard deviation of the baseline window. */
  baselineStd: null | number;
  /** Median of the baseline window. */
  baselineMedian: null | number;
  /** Median absolute deviation of the baseline window. */
  baselineMad: null | number;
  /** Number of buckets or observations in the baseline. */
  sampleSize: number;
  /** agent (its own history), peer (its role's history, while the agent warms up) or rule (a fixed threshold). */
  baselineSource: string;
  /** Start of the evaluated window (epoch ms). */
  windowStart: number;
  /** End of the evaluated window (epoch ms). */
  windowEnd: number;
  /** Up to 10 ids of the events that make up the finding. */
  relatedEventIds: string[];
  /** Detector-specific facts (resource, target host, matched pattern, expected seq...). */
  details: Record<string, string>;
}

/** An explainable security finding about one agent, written by the detector to security.alerts (key = agentId). */
export interface Alert {
  /** Deterministic id (hash of rule, agent and incident window start), so a redelivered or recomputed alert is recognisable and idempotent downstream. */
  alertId: string;
  /** The agent the finding is about. */
  agentId: string;
  /** The agent's role (peer group). */
  agentRole: string;
  /** Tenant of the agent. */
  tenantId: string;
  /** Detector that produced the finding: rate-spike, volume-spike, error-burst, unusual-access, off-hours, impersonation, injection, slow-ramp, circuit-breaker. */
  detector: string;
  /** Id of the rule in the rules file that fired. */
  ruleId: string;
  /** One-line human summary. */
  title: string;
  /** What happened and why it is unusual, in plain words. */
  description: string;
  /** Severity derived from the score and the rule. */
  severity: Severity;
  /** Anomaly score 0..100. */
  score: number;
  /** Event time of the first event of this incident (epoch ms). */
  firstSeen: number;
  /** Event time of the latest event of this incident (epoch ms). */
  lastSeen: number;
  /** How many times the finding fired within its cooldown: one incident is one alert with a count. */
  count: number;
  /** The observation against the baseline. */
  evidence: Evidence;
  /** Classification tags, e.g. owasp-llm:LLM06, atlas:AML.T0051, mitre:T1041. */
  tags: string[];
}

export type CommandType = 'QUARANTINE' | 'THROTTLE' | 'RELEASE';
export const CommandTypeValues = ['QUARANTINE', 'THROTTLE', 'RELEASE'] as const;

/** An isolation command for one agent on the compacted topic agent.quarantine (key = agentId): the latest command per agent is the agent's state. The agent's SDK obeys it. */
export interface QuarantineCommand {
  /** Deterministic id (hash of agent, type and causing alert ids or operator request) so a redelivery is harmless. */
  commandId: string;
  /** Agent the command applies to, or * for the fleet-wide kill switch. */
  agentId: string;
  /** QUARANTINE stops every guarded capability, THROTTLE revokes the listed capability patterns, RELEASE restores the agent. */
  type: CommandType;
  /** For THROTTLE: capability patterns refused, e.g. payment.* or net.egress. */
  revokedCapabilities: string[];
  /** Why, in plain words. */
  reason: string;
  /** Alerts that caused the command. */
  alertIds: string[];
  /** Who or what issued it: policy:<ruleId>, operator:<name>, ttl-expiry. */
  issuedBy: string;
  /** When the command was issued (epoch ms). */
  issuedAt: number;
  /** When the isolation lapses on its own (epoch ms); null for no expiry. */
  expiresAt: null | number;
}

/** The Avro schemas themselves, as registered with the schema registry. */
export const avroSchemas = {
  AgentActionEvent: {"type":"record","name":"AgentActionEvent","namespace":"dev.agentwarden.v1","doc":"One action taken by an AI agent, published by the agent's telemetry SDK to agent.events (key = agentId). The HMAC-SHA256 signature over these exact value bytes travels in the Kafka headers warden-kid and warden-sig.","fields":[{"name":"eventId","type":"string","doc":"UUIDv7 assigned by the SDK; unique per event and roughly time-ordered."},{"name":"agentId","type":"string","doc":"Stable identity of the agent; also the Kafka key, so one agent's events stay in order on one partition."},{"name":"agentRole","type":"string","doc":"Role or peer group of the agent (e.g. support, finance, research); new agents are compared with their peers."},{"name":"tenantId","type":"string","doc":"Tenant or business unit that owns the agent."},{"name":"sessionId","type":["null","string"],"default":null,"doc":"Conversation or task session the action belongs to, if any."},{"name":"principal","type":["null","string"],"default":null,"doc":"Human or service on whose behalf the agent acts, if known (pseudonymous id preferred: no raw PII)."},{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"Event time in epoch milliseconds (UTC), set when the action happened. All detection windows use this, not the wall clock."},{"name":"seq","type":"long","doc":"Per-agent sequence number that only goes up, also across restarts of the agent; a reused or decreasing value signals a replay or an impostor."},{"name":"action","type":"string","doc":"Dotted action name from the documented vocabulary: tool.call, api.request, data.read, data.write, auth.login, net.egress, payment.transfer, email.send, file.delete, prompt.input, model.output, permission.change. Other names are accepted and flagged (see attributes.vocabulary)."},{"name":"resource","type":["null","string"],"default":null,"doc":"What was acted on: a table, a file path, a tool name, an API route, an account."},{"name":"target","type":["null","string"],"default":null,"doc":"Where it went: a host for egress, a recipient domain for email, a payee for payments."},{"name":"outcome","type":{"type":"enum","name":"Outcome","symbols":["SUCCESS","DENIED","ERROR"]},"doc":"SUCCESS, DENIED (refused by an authorization check) or ERROR (failed, e.g. bad credentials)."},{"name":"bytesIn","type":"long","default":0,"doc":"Bytes received by the agent for this action."},{"name":"bytesOut","type":"long","default":0,"doc":"Bytes sent out by the agent for this action (exfiltration signal)."},{"name":"records","type":"long","default":0,"doc":"Number of records read or written."},{"name":"tokens","type":"long","default":0,"doc":"Model tokens consumed by this action."},{"name":"amount","type":["null","double"],"default":null,"doc":"Monetary amount for payment actions, in currency units."},{"name":"currency","type":["null","string"],"default":null,"doc":"ISO 4217 currency code of amount."},{"name":"text","type":["null","string"],"default":null,"doc":"Short excerpt of the input or output text (truncated by the SDK to a configured size), scanned for prompt-injection markers. Never forwarded raw to the SIEM."},{"name":"attributes","type":{"type":"map","values":"string"},"default":{},"doc":"Free-form string attributes. The SDK sets textTruncated=true when it truncated text and vocabulary=unknown for an action outside the vocabulary."}]},
  Alert: {"type":"record","name":"Alert","namespace":"dev.agentwarden.v1","doc":"An explainable security finding about one agent, written by the detector to security.alerts (key = agentId).","fields":[{"name":"alertId","type":"string","doc":"Deterministic id (hash of rule, agent and incident window start), so a redelivered or recomputed alert is recognisable and idempotent downstream."},{"name":"agentId","type":"string","doc":"The agent the finding is about."},{"name":"agentRole","type":"string","doc":"The agent's role (peer group)."},{"name":"tenantId","type":"string","doc":"Tenant of the agent."},{"name":"detector","type":"string","doc":"Detector that produced the finding: rate-spike, volume-spike, error-burst, unusual-access, off-hours, impersonation, injection, slow-ramp, circuit-breaker."},{"name":"ruleId","type":"string","doc":"Id of the rule in the rules file that fired."},{"name":"title","type":"string","doc":"One-line human summary."},{"name":"description","type":"string","doc":"What happened and why it is unusual, in plain words."},{"name":"severity","type":{"type":"enum","name":"Severity","symbols":["INFO","LOW","MEDIUM","HIGH","CRITICAL"]},"doc":"Severity derived from the score and the rule."},{"name":"score","type":"int","doc":"Anomaly score 0..100."},{"name":"firstSeen","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"Event time of the first event of this incident (epoch ms)."},{"name":"lastSeen","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"Event time of the latest event of this incident (epoch ms)."},{"name":"count","type":"int","default":1,"doc":"How many times the finding fired within its cooldown: one incident is one alert with a count."},{"name":"evidence","type":{"type":"record","name":"Evidence","doc":"Why the alert fired: the observation against the baseline.","fields":[{"name":"metric","type":"string","doc":"What was measured, e.g. count(data.read) per bucket, bytesOut per bucket, resource first seen."},{"name":"observed","type":"double","doc":"Observed value in the window."},{"name":"baselineMean","type":["null","double"],"default":null,"doc":"Mean of the baseline window."},{"name":"baselineStd","type":["null","double"],"default":null,"doc":"Standard deviation of the baseline window."},{"name":"baselineMedian","type":["null","double"],"default":null,"doc":"Median of the baseline window."},{"name":"baselineMad","type":["null","double"],"default":null,"doc":"Median absolute deviation of the baseline window."},{"name":"sampleSize","type":"int","default":0,"doc":"Number of buckets or observations in the baseline."},{"name":"baselineSource","type":"string","default":"agent","doc":"agent (its own history), peer (its role's history, while the agent warms up) or rule (a fixed threshold)."},{"name":"windowStart","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"Start of the evaluated window (epoch ms)."},{"name":"windowEnd","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"End of the evaluated window (epoch ms)."},{"name":"relatedEventIds","type":{"type":"array","items":"string"},"default":[],"doc":"Up to 10 ids of the events that make up the finding."},{"name":"details","type":{"type":"map","values":"string"},"default":{},"doc":"Detector-specific facts (resource, target host, matched pattern, expected seq...)."}]},"doc":"The observation against the baseline."},{"name":"tags","type":{"type":"array","items":"string"},"default":[],"doc":"Classification tags, e.g. owasp-llm:LLM06, atlas:AML.T0051, mitre:T1041."}]},
  QuarantineCommand: {"type":"record","name":"QuarantineCommand","namespace":"dev.agentwarden.v1","doc":"An isolation command for one agent on the compacted topic agent.quarantine (key = agentId): the latest command per agent is the agent's state. The agent's SDK obeys it.","fields":[{"name":"commandId","type":"string","doc":"Deterministic id (hash of agent, type and causing alert ids or operator request) so a redelivery is harmless."},{"name":"agentId","type":"string","doc":"Agent the command applies to, or * for the fleet-wide kill switch."},{"name":"type","type":{"type":"enum","name":"CommandType","symbols":["QUARANTINE","THROTTLE","RELEASE"]},"doc":"QUARANTINE stops every guarded capability, THROTTLE revokes the listed capability patterns, RELEASE restores the agent."},{"name":"revokedCapabilities","type":{"type":"array","items":"string"},"default":[],"doc":"For THROTTLE: capability patterns refused, e.g. payment.* or net.egress."},{"name":"reason","type":"string","doc":"Why, in plain words."},{"name":"alertIds","type":{"type":"array","items":"string"},"default":[],"doc":"Alerts that caused the command."},{"name":"issuedBy","type":"string","doc":"Who or what issued it: policy:<ruleId>, operator:<name>, ttl-expiry."},{"name":"issuedAt","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"When the command was issued (epoch ms)."},{"name":"expiresAt","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null,"doc":"When the isolation lapses on its own (epoch ms); null for no expiry."}]},
} as const;
