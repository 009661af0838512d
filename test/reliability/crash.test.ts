/**
 * Kill the detector with SIGKILL mid-stream and restart it: the set of alert
 * ids equals that of an uninterrupted run over the same events. Works because
 * alerts are produced before state is written, state and covered offsets are
 * written in one Redis transaction, and alert ids are deterministic.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { UNVERIFIED_TAG } from '../../shared/detection/unverified.js';
import { keyringFor } from '../support/detector.js';
import { alertDiff, allAlerts, coveredRecords, keyringJsonFor, publishEvents, referenceRun, spawnDetector, topicSize } from '../support/detectorRuns.js';
import { incidentFleet } from '../support/scenario.js';
import { eventually, isolatedConfig, provisionTopics } from '../support/stack.js';

// 26 hours of steady traffic, incidents in the last 40 buckets: past the one-day
// learning period every spike is judged against the agent's own baseline, and the
// incidents bring nothing new to an agent. Why it matters: what an agent's role
// (peers) does is learned from all partitions, so its exact value depends on how
// partitions interleave, and a restart may shift an alert that depends on it (a
// new agent's spike, the peer rarity of a first-seen item). Everything judged on
// the agent's own state must come out exactly the same; that is what this checks.
// (See "Determinism" in shared/detection/README.md.)
const { events, agentIds } = incidentFleet(30, 26 * 12, 40);
const keyring = keyringFor(agentIds);
const keyringJson = keyringJsonFor(agentIds);
const children: ChildProcess[] = [];
// Checkpoint often (default 5 s), so the kill lands between checkpoints and the restart re-reads
// records its stored state already holds: they must be skipped, not replayed.
const childEnv = { WARDEN_DETECTOR_CHECKPOINT_MS: process.env.CRASH_CHECKPOINT_MS ?? '500' };

describe('crash recovery', () => {
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('a SIGKILLed and restarted detector produces the same alert ids as an uninterrupted one', async () => {
    // Reference: an uninterrupted detector over the same events.
    const ref = isolatedConfig('crash-ref', { events: 3 });
    await provisionTopics(ref);
    await publishEvents(ref, keyring, events);
    const refAlerts = await referenceRun(ref, keyring, events.length);
    expect(new Set(refAlerts.map((a) => a.alertId)).size).toBeGreaterThanOrEqual(10);
    expect(new Set(refAlerts.map((a) => a.detector)).size).toBeGreaterThanOrEqual(3);

    // Crash run: half the events, kill mid-stream, the rest, restart.
    const run = isolatedConfig('crash-run', { events: 3 });
    await provisionTopics(run);
    const group = 'crash-detector';
    const half = Math.floor(events.length / 2);
    await publishEvents(run, keyring, events.slice(0, half));
    const first = spawnDetector(run, group, keyringJson, childEnv);
    children.push(first);
    await eventually(async () => (await coveredRecords(run, group)) > 0, 60_000, 'the first detector to commit a batch');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await coveredRecords(run, group);
    expect(atKill).toBeLessThan(events.length);

    await publishEvents(run, keyring, events.slice(half));
    children.push(spawnDetector(run, group, keyringJson, childEnv));
    const total = await topicSize(run, run.topics.events.name);
    expect(total).toBe(events.length);
    await eventually(async () => (await coveredRecords(run, group)) >= total, 120_000, 'the restarted detector to catch up');
    const runAlerts = await allAlerts(run);

    expect(alertDiff(refAlerts, runAlerts)).toEqual({ missing: [], extra: [] });
    // Exact ids for everything judged on the agent's own state (unverified alerts are windowed by the receive clock: see alertDiff).
    const verifiedIds = (alerts: typeof runAlerts) => [...new Set(alerts.filter((a) => !a.tags.includes(UNVERIFIED_TAG)).map((a) => a.alertId))].sort();
    expect(verifiedIds(runAlerts)).toEqual(verifiedIds(refAlerts));
    expect(verifiedIds(refAlerts).length).toBeGreaterThanOrEqual(10);
  }, 240_000); // two full runs over ~47,000 events on a shared 2-core machine
});
