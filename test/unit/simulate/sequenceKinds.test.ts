/**
 * The generator's sequence cases (issue 11): seqs numbered like the SDK's, the seq-jump incident (a jump,
 * then an exfiltration) and the producer-retries benign case (re-sent batches), run through the engine.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES } from '../../../shared/detection/index.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { generateScenario } from '../../../cli/simulate/scenario/generator.js';

const scenario = generateScenario({ seed: 11, agents: 12, days: 4, incidentsPerType: 3, types: ['exfil-volume', 'seq-jump'], benignPerKind: 4, benignKinds: ['producer-retries'] });

function runEngine(): { alerts: { alert: Alert; at: number }[]; engine: ReturnType<typeof createEngine> } {
  const engine = createEngine(DEFAULT_RULES);
  const alerts: { alert: Alert; at: number }[] = [];
  scenario.events.forEach((e, i) => {
    for (const a of engine.process(e)) alerts.push({ alert: a, at: scenario.arrivals[i]! });
  });
  return { alerts, engine };
}

describe('scenario sequence cases', () => {
  it('numbers each agent\'s own events like the SDK: at least the event time in µs, always climbing', () => {
    const jumpIds = new Set<string>();
    const last = new Map<string, number>();
    const seen = new Set<string>();
    for (const e of scenario.events) {
      if (seen.has(e.eventId)) continue; // a re-sent copy
      seen.add(e.eventId);
      if (e.seq / 1000 - e.timestamp > 60_000) {
        jumpIds.add(e.eventId);
        continue;
      }
      expect(e.seq).toBeGreaterThanOrEqual(e.timestamp * 1000);
      expect(e.seq).toBeGreaterThan(last.get(e.agentId) ?? -1);
      last.set(e.agentId, e.seq);
    }
    expect(jumpIds.size).toBe(scenario.incidents.filter((i) => i.type === 'seq-jump').length);
  });

  it('seq-jump: the jump hides nothing (no seq-replay), and the exfiltration after it is what detects the incident', () => {
    const { alerts } = runEngine();
    const jumps = scenario.incidents.filter((i) => i.type === 'seq-jump');
    expect(jumps.length).toBe(3);
    expect(alerts.filter((a) => a.alert.ruleId === 'impersonation.seq-replay')).toEqual([]);
    for (const inc of jumps) {
      const mine = alerts.filter((a) => a.alert.agentId === inc.agentId && a.at >= inc.start && a.at <= inc.end + 30 * 60_000);
      expect(mine.some((a) => a.alert.detector === 'volume-spike' || a.alert.detector === 'unusual-access'), `${inc.id} ${inc.variant}`).toBe(true);
      if (inc.variant.startsWith('far/')) expect(mine.some((a) => a.alert.ruleId === 'impersonation.seq-jump')).toBe(true);
    }
  });

  it('producer-retries: every re-sent copy is dropped as a duplicate and the cases draw no alert', () => {
    const { alerts, engine } = runEngine();
    expect(scenario.benign.map((b) => b.kind)).toEqual(['producer-retries', 'producer-retries', 'producer-retries', 'producer-retries']);
    const copies = scenario.events.length - new Set(scenario.events.map((e) => e.eventId)).size;
    expect(copies).toBeGreaterThan(8);
    expect(engine.stats().duplicates).toBe(copies);
    for (const b of scenario.benign) {
      expect(alerts.filter((a) => a.alert.agentId === b.agentId && a.at >= b.start && a.at <= b.end + 30 * 60_000).length, b.variant).toBeLessThanOrEqual(b.budget);
    }
  });

  it('leaves the other incident kinds where they were (new kinds are scheduled after them): the same incidents with or without the new cases', () => {
    const plain = generateScenario({ seed: 11, agents: 12, days: 4, incidentsPerType: 3, types: ['exfil-volume'] });
    const strip = (s: typeof plain) => s.incidents.filter((i) => i.type === 'exfil-volume').map((i) => [i.agentId, i.start, i.end, i.variant]);
    expect(strip(scenario)).toEqual(strip(plain));
  });
});
