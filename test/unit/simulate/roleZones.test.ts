/**
 * The multi-zone fleet (generator option roleZones): each role in one of three zones drawn from the seed, its
 * agents working by their local clock; without the option every agent is in UTC, as before.
 */
import { describe, expect, it } from 'vitest';
import { generateScenario } from '../../../cli/simulate/scenario/generator.js';
import { SIM_ZONES } from '../../../cli/simulate/scenario/fleet.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const OPTIONS = { seed: 42, agents: 16, days: 4, incidentsPerType: 0, benignPerKind: 0 };

/** Share of an agent's events on local weekdays between 08:00 and 19:00, its zone's offset applied. */
function officeShare(timestamps: number[], offsetMinutes: number): number {
  let office = 0;
  for (const ts of timestamps) {
    const local = ts + offsetMinutes * 60_000;
    const h = (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    const dow = (Math.floor(local / DAY_MS) + 3) % 7;
    if (dow < 5 && h >= 8 && h < 19) office++;
  }
  return office / timestamps.length;
}

describe('generator: roles in time zones', () => {
  it('draws one zone per role, all three used, and says which in timeZones', () => {
    const s = generateScenario({ ...OPTIONS, roleZones: true });
    const roles = [...new Set(s.agents.map((a) => a.role))];
    expect(Object.keys(s.timeZones).sort()).toEqual(roles.sort());
    expect(new Set(Object.values(s.timeZones))).toEqual(new Set(SIM_ZONES.map((z) => z.name)));
    expect(generateScenario(OPTIONS).timeZones).toEqual({});
  });

  it("a business role's agents work office hours by their own zone's clock, not by UTC", () => {
    const s = generateScenario({ ...OPTIONS, roleZones: true });
    const offsetOf = (zone: string) => SIM_ZONES.find((z) => z.name === zone)!.offsetMinutes;
    const farZones = s.agents.filter((a) => a.spec.rhythm === 'business' && offsetOf(s.timeZones[a.role]!) !== 0);
    expect(farZones.length).toBeGreaterThan(0);
    for (const agent of farZones) {
      const times = s.events.filter((e) => e.agentId === agent.agentId).map((e) => e.timestamp);
      const local = officeShare(times, offsetOf(s.timeZones[agent.role]!));
      expect(local).toBeGreaterThan(0.8);
      expect(officeShare(times, 0)).toBeLessThan(local - 0.2);
    }
  });
});
