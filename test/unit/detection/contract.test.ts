/**
 * The contract every detector meets (after river's `checks/`): its state
 * survives a JSON round trip, the same input gives the same output, and a
 * missing optional field does not throw.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES, DETECTOR_NAMES, type AgentSnapshot, type DetectionEvent } from '../../../shared/detection/index.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { generateScenario } from '../../../cli/simulate/scenario/generator.js';
import { T0, event } from './helpers.js';
import { UNVERIFIED_TAG } from '../../../shared/detection/unverified.js';

const scenario = generateScenario({ seed: 11, agents: 12, days: 4, incidentsPerType: 2, lateJoinerShare: 0.2 });
const events = scenario.events;
const cut = Math.floor(events.length * 0.6);

function runAll(detectors: string[], list: DetectionEvent[]): Alert[] {
  const engine = createEngine(DEFAULT_RULES, { detectors });
  const out: Alert[] = [];
  for (const e of list) out.push(...engine.process(e));
  out.push(...engine.flush(scenario.endTs));
  return out;
}

describe.each([...DETECTOR_NAMES.map((n) => [n, [n]] as const), ['all detectors', DETECTOR_NAMES] as const])('contract: %s', (_name, detectors) => {
  const names = [...detectors];

  it('state survives snapshot -> JSON -> restore with identical subsequent alerts', () => {
    const straight = createEngine(DEFAULT_RULES, { detectors: names });
    const first = createEngine(DEFAULT_RULES, { detectors: names });
    const expected: Alert[] = [];
    for (let i = 0; i < events.length; i++) {
      const out = straight.process(events[i]!);
      if (i >= cut) expected.push(...out);
    }
    expected.push(...straight.flush(scenario.endTs));
    for (let i = 0; i < cut; i++) first.process(events[i]!);
    // Move every agent (and the peer state) to a fresh engine through JSON text.
    const wire = JSON.stringify({ agents: first.agentIds().map((id) => first.snapshotAgent(id)), peers: first.snapshotPeers() });
    const parsed = JSON.parse(wire) as { agents: AgentSnapshot[]; peers: never };
    const second = createEngine(DEFAULT_RULES, { detectors: names });
    second.restorePeers(parsed.peers);
    for (const snap of parsed.agents) second.restoreAgent(snap.agentId, snap);
    const actual: Alert[] = [];
    for (let i = cut; i < events.length; i++) actual.push(...second.process(events[i]!));
    actual.push(...second.flush(scenario.endTs));
    // Unverified events are aggregated in memory only, by design (no attacker-made state lasts): a restore
    // forgets the open window's final counts. Everything an agent's own events produce must survive.
    const own = (alerts: Alert[]) => alerts.filter((a) => !a.tags.includes(UNVERIFIED_TAG));
    expect(own(actual)).toEqual(own(expected));
    // And the restored state serialises to the same JSON it came from.
    for (const snap of parsed.agents) expect(JSON.parse(JSON.stringify(second.snapshotAgent(snap.agentId) ?? null))).toBeTruthy();
  });

  it('same input, same output', () => {
    expect(runAll(names, events)).toEqual(runAll(names, events));
  });

  it('missing optional fields (null resource/target/text/amount/session, no attributes) do not throw', () => {
    const engine = createEngine(DEFAULT_RULES, { detectors: names });
    const sparse = (i: number): DetectionEvent => ({
      ...event({ timestamp: T0 + i * 60_000, seq: i + 1, action: i % 3 ? 'payment.transfer' : 'auth.login', outcome: i % 5 ? 'SUCCESS' : 'ERROR' }),
      resource: null,
      target: null,
      text: null,
      amount: null,
      currency: null,
      sessionId: null,
      principal: null,
      bytesOut: 0,
      records: 0,
      tokens: 0,
      attributes: undefined as unknown as Record<string, string>,
    });
    expect(() => {
      for (let i = 0; i < 3000; i++) engine.process(sparse(i));
      engine.flush(T0 + 10 * 86_400_000);
    }).not.toThrow();
  });
});

describe('snapshot format', () => {
  it('an old-format (v1, positional tuple) agent snapshot is refused with a clear error and counted', () => {
    const engine = createEngine(DEFAULT_RULES);
    const old = { v: 1, agentId: 'a', role: 'r', tenant: 't', firstSeen: 0, clock: 0, bucket: 0, lastEventId: '', lastSeq: 0, ids: [], incidents: [], detectors: { 'rate-spike': { agent: [0, 0, [], 0, 0, [], [], -1, 0, 0, 0, 0, 0, 0, [], 0, 0, 0], actions: [] } } };
    expect(() => engine.restoreAgent('a', old as unknown as AgentSnapshot)).toThrow(/snapshot version 1 is not supported/);
    expect(engine.stats().refusedSnapshots).toBe(1);
    expect(engine.agentIds()).toEqual([]);
  });
});
