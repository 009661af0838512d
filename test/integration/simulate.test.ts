/**
 * `warden simulate` against the real stack: a seeded fleet is published in
 * compressed time, signed with keys from a keyring file it creates, and a
 * detector that loads that same file verifies every valid event (only the
 * scripted impostor's forgeries reach the DLQ) and catches the incidents.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulate } from '../../cli/simulate/run.js';
import type { DetectorService } from '../../services/detector/service.js';
import { Keyring } from '../../shared/signing/index.js';
import { counterValue, readAlerts, startDetector } from '../support/detector.js';
import { eventually, isolatedConfig } from '../support/stack.js';

describe('warden simulate on the real stack', () => {
  let detector: DetectorService | undefined;
  afterAll(async () => detector?.stop());

  it('publishes a signed fleet whose events a detector with the same keyring verifies, and whose incidents it catches', async () => {
    const config = isolatedConfig('simulate');
    const keyringFile = join(mkdtempSync(join(tmpdir(), 'warden-sim-')), 'keys.json');
    const lines: string[] = [];
    const r = await simulate(
      config,
      { agents: 12, days: 2, seed: 3, incidentsPerType: 1, types: ['forged-signature', 'injection'], durationMs: 3000, keyringFile },
      (l) => lines.push(l),
    );
    expect(r.published).toBe(r.events);
    expect(lines.some((l) => /100%/.test(l))).toBe(true); // progress reached the end
    expect(statSync(keyringFile).mode & 0o777).toBe(0o600);

    detector = await startDetector(config, Keyring.load({ file: keyringFile }));
    await eventually(async () => (await counterValue(detector!, 'warden_detector_events_total')) >= r.events, 60_000, 'every simulated event');
    const processed = await counterValue(detector, 'warden_detector_events_total', { result: 'processed' });
    const dlq = await counterValue(detector, 'warden_detector_dlq_total');
    // Only the impostor's events fail verification: every event the fleet signed verifies.
    expect(dlq).toBeGreaterThan(0);
    let signatureFailures = 0;
    for (const reason of ['event.signature-invalid', 'event.signature-missing', 'event.unknown-key']) signatureFailures += await counterValue(detector, 'warden_detector_dlq_total', { reason });
    expect(signatureFailures).toBe(dlq);
    expect(processed + dlq).toBe(r.events);

    const forged = r.incidents.find((i) => i.type === 'forged-signature')!;
    const injected = r.incidents.find((i) => i.type === 'injection')!;
    const alerts = await eventually(async () => {
      const a = await readAlerts(config, 2, 5000).catch(() => []);
      const hit = (agentId: string, d: string) => a.some((x) => x.agentId === agentId && x.detector === d);
      return hit(forged.agentId, 'impersonation') && hit(injected.agentId, 'injection') ? a : undefined;
    }, 60_000, 'alerts for both incidents');
    expect(alerts.length).toBeGreaterThanOrEqual(2);
  });
});
