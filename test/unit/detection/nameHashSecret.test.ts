/**
 * Crafted name collisions (README, security model). The names an agent has used are kept as hashes; unkeyed,
 * FNV-1a can be steered by a name's last characters, so an agent that controls part of a name (a subdomain) can
 * compute offline one that reads as a host it already uses, and exfiltrate to it with no "new destination". With
 * the deployment's secret (EngineOptions.nameHashSecret, the detector's WARDEN_DETECTOR_NAME_HASH_SECRET) it cannot.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES, type DetectionEvent } from '../../../shared/detection/index.js';
import { nameHashA, nameHashB, nameSeeds, UNKEYED } from '../../../shared/detection/baseline/seenSet.js';
import { targetHash } from '../../../shared/detection/detectors/flowTargets.js';
import { fnvCollisions } from './fnvCollision.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { DAY_MS, T0, event } from './helpers.js';

const MIN = 60_000;
const AT = T0 + 2 * DAY_MS;
const KNOWN = 'api.partner.example';
let seq = 0;
const ev = (ts: number, over: Partial<DetectionEvent>): DetectionEvent => event({ timestamp: ts, seq: ++seq, ...over });

function history(): DetectionEvent[] {
  const out: DetectionEvent[] = [];
  for (let t = T0; t < AT - 60 * MIN; t += 10 * MIN) {
    out.push(ev(t, { action: 'data.read', resource: 'kb/articles' }));
    out.push(ev(t + MIN, { action: 'net.egress', target: KNOWN, bytesOut: 2000 }));
  }
  return out;
}

function exfiltrationAlerts(target: string, nameHashSecret?: string): Alert[] {
  const engine = createEngine(DEFAULT_RULES, { detectors: ['flow', 'unusual-access'], nameHashSecret });
  const attack = [ev(AT, { action: 'data.read', resource: 'vault/prod/db-password', records: 1 }), ev(AT + 3 * MIN, { action: 'net.egress', target, bytesOut: 50_000 })];
  const out: Alert[] = [];
  for (const e of [...history(), ...attack]) out.push(...engine.process(e));
  return out.filter((a) => a.ruleId === 'flow.sensitive-read-then-new-egress' || a.ruleId === 'unusual-access.target');
}

describe('name hashes seeded with a secret', () => {
  const [crafted] = fnvCollisions(KNOWN) as [string];

  it('a crafted host collides with a known one under the unkeyed hash, and the exfiltration to it goes unseen', () => {
    expect(crafted).not.toBe(KNOWN);
    expect(targetHash(crafted)).toBe(targetHash(KNOWN));
    // The flow detector keeps one hash per destination: unkeyed, the crafted host reads as known.
    expect(exfiltrationAlerts(crafted).map((a) => a.ruleId)).not.toContain('flow.sensitive-read-then-new-egress');
  });

  it('with the secret, the same crafted host is new: the flow alerts, as for any new host', () => {
    const secret = 'test-secret-0123456789abcdef';
    expect(targetHash(crafted, nameSeeds(secret).a)).not.toBe(targetHash(KNOWN, nameSeeds(secret).a));
    expect(exfiltrationAlerts(crafted, secret).map((a) => a.ruleId)).toContain('flow.sensitive-read-then-new-egress');
    expect(exfiltrationAlerts('drop.attacker.example', secret).map((a) => a.ruleId)).toContain('flow.sensitive-read-then-new-egress');
    // The known host stays known under the secret.
    expect(exfiltrationAlerts(KNOWN, secret)).toEqual([]);
  });

  it('seeds: none = unkeyed; two secrets give different seeds; a seed changes both hashes of a name', () => {
    expect(nameSeeds(undefined)).toEqual(UNKEYED);
    const one = nameSeeds('secret-number-one-123');
    const two = nameSeeds('secret-number-two-456');
    expect(one).not.toEqual(two);
    expect(nameHashA(KNOWN, one.a)).not.toBe(nameHashA(KNOWN));
    expect(nameHashB(KNOWN, one.b)).not.toBe(nameHashB(KNOWN));
    expect(nameHashA(KNOWN, 0)).toBe(nameHashA(KNOWN));
  });

  it('the same events give the same alerts with or without a secret (the seed changes only which names could collide)', () => {
    const keyed = exfiltrationAlerts('drop.attacker.example', 'another-secret-0123456789');
    const unkeyed = exfiltrationAlerts('drop.attacker.example');
    expect(keyed.map((a) => [a.alertId, a.ruleId])).toEqual(unkeyed.map((a) => [a.alertId, a.ruleId]));
  });
});
