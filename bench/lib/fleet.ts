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
