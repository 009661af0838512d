/**
 * What each Kafka principal may do, as data (README "Secure mode" prints the
 * same table), and its translation to ACLs created through shared/kafka's admin
 * client. Topic ACLs are LITERAL on the configured names (a prefix such as
 * `agent.events` would also match `agent.events.dlq`); consumer-group ACLs are
 * PREFIXED on each service's group name. Anything not granted is denied
 * (`allow.everyone.if.no.acl.found=false`).
 */
import type { WardenConfig } from '../../shared/config/index.js';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type Admin,
  type TopicKey,
} from '../../shared/kafka/index.js';
import type { KafkaPrincipal } from './credentials.js';

export interface PrincipalGrant {
  /** What the principal is for, in a few words (the README table). */
  role: string;
  read: TopicKey[];
  write: TopicKey[];
  /** Consumer-group name prefixes it may join (Read on the group). */
  groupPrefixes: string[];
  /** Topic administration on our topics: create, alter and describe configs, delete. */
  topicAdmin?: boolean;
}

const ALL_TOPICS: TopicKey[] = ['events', 'dlq', 'alerts', 'quarantine', 'siem', 'otlpSpans'];

/** `admin` is not here: it is a super user (`super.users`), used only to bootstrap topics and ACLs. */
export const PRINCIPAL_GRANTS: Record<Exclude<KafkaPrincipal, 'admin'>, PrincipalGrant> = {
  agent: { role: 'an agent SDK: publish events, follow its kill switch', read: ['quarantine'], write: ['events'], groupPrefixes: ['warden-killswitch-'] },
  detector: { role: 'the detector', read: ['events'], write: ['alerts', 'dlq'], groupPrefixes: ['warden-detector'] },
  responder: { role: 'the responder (its circuit-breaker alert goes to security.alerts)', read: ['alerts'], write: ['quarantine', 'alerts'], groupPrefixes: ['warden-responder'] },
  'siem-forwarder': { role: 'the SIEM forwarder', read: ['alerts', 'quarantine'], write: ['siem', 'dlq'], groupPrefixes: ['warden-siem-forwarder'] },
  operator: { role: 'a person: `warden tail`, `warden topics`', read: ALL_TOPICS, write: [], groupPrefixes: ['warden-tail-'], topicAdmin: true },
  'otel-ingest': { role: 'otel-ingest: attested events from OTLP/HTTP and the Collector topic (refused spans to the DLQ)', read: ['otlpSpans'], write: ['events', 'dlq'], groupPrefixes: ['warden-otel-ingest'] },
  'mcp-gateway': { role: 'reserved for mcp-gateway: attested events, the kill switch of the agents behind it', read: ['quarantine'], write: ['events'], groupPrefixes: ['warden-killswitch-', 'warden-mcp-gateway'] },
};

const TOPIC_ADMIN_OPERATIONS = [AclOperationTypes.CREATE, AclOperationTypes.ALTER_CONFIGS, AclOperationTypes.DESCRIBE_CONFIGS, AclOperationTypes.DELETE];

function allow(principal: string, resourceType: AclResourceTypes, resourceName: string, resourcePatternType: ResourcePatternTypes, operation: AclOperationTypes): AclEntry {
  return { principal: `User:${principal}`, host: '*', resourceType, resourceName, resourcePatternType, operation, permissionType: AclPermissionTypes.ALLOW };
}

/** Topic ACLs for the topics named in `config` (Read and Write imply Describe). */
export function topicAcls(config: WardenConfig): AclEntry[] {
  const out: AclEntry[] = [];
  for (const [principal, g] of Object.entries(PRINCIPAL_GRANTS)) {
    const topic = (key: TopicKey, op: AclOperationTypes) => allow(principal, AclResourceTypes.TOPIC, config.topics[key].name, ResourcePatternTypes.LITERAL, op);
    for (const key of g.read) out.push(topic(key, AclOperationTypes.READ));
    for (const key of g.write) out.push(topic(key, AclOperationTypes.WRITE));
    if (g.topicAdmin) for (const key of ALL_TOPICS) for (const op of TOPIC_ADMIN_OPERATIONS) out.push(topic(key, op));
  }
  return out;
}

export function groupAcls(): AclEntry[] {
  return Object.entries(PRINCIPAL_GRANTS).flatMap(([principal, g]) =>
    g.groupPrefixes.map((prefix) => allow(principal, AclResourceTypes.GROUP, prefix, ResourcePatternTypes.PREFIXED, AclOperationTypes.READ)));
}

/** Creating an ACL that exists is a no-op on the broker, so these are idempotent. */
export async function grantTopicAcls(admin: Admin, config: WardenConfig): Promise<void> {
  await admin.createAcls({ acl: topicAcls(config) });
}

export async function grantGroupAcls(admin: Admin): Promise<void> {
  await admin.createAcls({ acl: groupAcls() });
}

/** Removes the topic ACLs of `config`'s topics (tests clean up their own topics this way). */
export async function revokeTopicAcls(admin: Admin, config: WardenConfig): Promise<void> {
  const names = [...new Set(Object.values(config.topics).map((t) => t.name))];
  await admin.deleteAcls({
    filters: names.map((resourceName) => ({
      resourceType: AclResourceTypes.TOPIC, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
    })),
  });
}
