/** A deterministic steady fleet for benchmarks: many agents, realistic field sizes, signed like the SDK. */
import type { OutgoingEvent } from '../../cli/simulate/publisher.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { Keyring } from '../../shared/signing/index.js';

const ACTIONS = ['data.read', 'tool.call', 'api.request', 'model.output', 'prompt.input', 'email.send'];
const ROLES = ['support', 'finance', 'research'];

export function benchKeyring(agents: number): Keyring {
  return new Keyring(Object.fromEntries(Array.from({ length: agents }, (_, i) => [agentName(i), { k1: `bench-secret-${i}-0123456789abcdef` }])));
}

export function agentName(i: number): string {
  return `bench-agent-${String(i).padStart(6, '0')}`;
}

/** `count` events spread round-robin over `agents` agents, one second apart per agent, ending before `endMs`. */
export function* steadyFleet(agents: number, count: number, endMs = Date.now()): Generator<OutgoingEvent> {
  const perAgent = Math.ceil(count / agents);
  const start = endMs - perAgent * 1000;
  for (let i = 0; i < count; i++) {
    const a = i % agents;
    const k = Math.floor(i / agents);
    const action = ACTIONS[(a + k) % ACTIONS.length]!;
    const event: AgentActionEvent = {
      eventId: `${a}-${k}`, agentId: agentName(a), agentRole: ROLES[a % 3]!, tenantId: 'bench', sessionId: `s-${a}-${k >> 6}`, principal: null,
      timestamp: start + k * 1000 + (a % 1000), seq: k + 1, action, resource: `kb.articles.${k % 17}`, target: action === 'email.send' ? 'example.com' : null,
      outcome: 'SUCCESS', bytesIn: 200 + (k % 50), bytesOut: 800 + (k % 300), records: 1 + (k % 4), tokens: 40 + (k % 90),
      amount: null, currency: null, text: action === 'prompt.input' ? 'summarise the ticket history for this customer' : null, attributes: {},
    };
    yield { event };
  }
}

export const BUCKET_MS = 300_000;

/** Secrets for any agent names, in the shape Keyring takes (benchmarks only; never logged). */
export function keyringData(agentIds: Iterable<string>): Record<string, Record<string, string>> {
  return Object.fromEntries([...agentIds].map((a) => [a, { k1: `bench-secret-${a}-0123456789abcdef` }]));
}

/**
 * The k-th ordinary action of an agent: the same rotation of actions,
 * resources and sizes as steadyFleet, so an agent's live traffic looks like
 * its history (no first-seen resource, no size outlier).
 */
export function ordinaryEvent(agentId: string, agentRole: string, k: number, timestamp: number, seq: number): AgentActionEvent {
  const action = ACTIONS[k % ACTIONS.length]!;
  return {
    eventId: `${agentId}:${seq}`, agentId, agentRole, tenantId: 'bench', sessionId: `s-${agentId}-${k >> 6}`, principal: null,
    timestamp, seq, action, resource: `kb.articles.${k % 17}`, target: action === 'email.send' ? 'example.com' : null,
    outcome: 'SUCCESS', bytesIn: 200 + (k % 50), bytesOut: 800 + (k % 300), records: 1 + (k % 4), tokens: 40 + (k % 90),
    amount: null, currency: null, text: action === 'prompt.input' ? 'summarise the ticket history for this customer' : null, attributes: {},
  };
}

/**
 * Steady traffic in event-time order: `buckets` five-minute buckets ending at
 * the bucket boundary at or before `endMs`; in each, every agent sends
 * `perBucket` ordinary events spread over the bucket. Agents interleave, one
 * agent's events are in order (as Kafka delivers them per partition).
 */
export function* bucketedFleet(agentIds: readonly string[], role: (i: number) => string, buckets: number, perBucket: number, endMs: number): Generator<AgentActionEvent> {
  const end = Math.floor(endMs / BUCKET_MS) * BUCKET_MS;
  const start = end - buckets * BUCKET_MS;
  const step = BUCKET_MS / perBucket;
  for (let b = 0; b < buckets; b++) {
    for (let k = 0; k < perBucket; k++) {
      for (let a = 0; a < agentIds.length; a++) {
        const n = b * perBucket + k;
        // Each agent at its own offset inside the slot, so agents do not all act at the same millisecond.
        const ts = start + b * BUCKET_MS + Math.floor(k * step + ((a % 97) / 97) * step);
        yield ordinaryEvent(agentIds[a]!, role(a), n + a, ts, n + 1);
      }
    }
  }
}
