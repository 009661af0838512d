/**
 * Per-action sizes of one event (baseline/actionSizes.ts) in the single-event guard: an attachment that is ordinary
 * for the agent's emails (or, while the agent has too few, for its role's emails) raises no bytes-out alert, even
 * when it is beyond anything the agent's mixed traffic (mostly small tool calls) has shown; a bulk of such
 * attachments in one bucket still does. Before, one fit of every action mixed decided alone, and these buckets
 * were the largest source of false bytes-out alerts (issue 11).
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, T0, event, merge, only, renumber, run, stream } from './helpers.js';
import { MAX_ACTIONS, NO_FIT, createActionSizes, noteActionSize, ordinaryActionMax, settleActionSizes, type ActionSizes } from '../../../shared/detection/baseline/actionSizes.js';
import { DEFAULT_RULES, createEngine, type AgentSnapshot } from '../../../shared/detection/index.js';
import type { DetectionEvent, Json } from '../../../shared/detection/types.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';

const START = T0 + 3 * DAY_MS;
const EMAIL_MEDIAN = 6_000;
const EMAIL_LOG_SD = 0.6;
/** z 3.5 of the emails' own log sizes (their p99.98): ordinary for an email, ~40x a bucket of the agents' 200-byte events. */
const LARGE_EMAIL = Math.round(EMAIL_MEDIAN * Math.exp(3.5 * EMAIL_LOG_SD));

/** Tool calls and reads of `eventBytes` each (~2 KB by default); `emailsPerBucket` emails of heavy-tailed size among them. */
function traffic(agentId: string, agentRole: string, emailsPerBucket: number, seed: number, eventBytes = 2_000): DetectionEvent[] {
  const base = stream({ agentId, agentRole, to: START, perBucket: 6, seed, with: (rng) => ({ bytesOut: Math.round(rng.lognormal(eventBytes, 0.3)) }) });
  if (emailsPerBucket === 0) return base;
  const rng = new Rng(seed + 1);
  const emails: DetectionEvent[] = [];
  for (let b = T0; b < START; b += 300_000) {
    if (!rng.chance(emailsPerBucket)) continue;
    emails.push(event({ agentId, agentRole, timestamp: b + Math.floor(rng.next() * 300_000), action: 'email.send', target: 'customer@example.com', bytesOut: Math.round(rng.lognormal(EMAIL_MEDIAN, EMAIL_LOG_SD)), records: 0, tokens: 0, seq: 0 }));
  }
  return merge(base, emails);
}

function largeEmail(agentId: string, agentRole: string, at: number, bytesOut = LARGE_EMAIL): DetectionEvent {
  return event({ agentId, agentRole, timestamp: at, action: 'email.send', target: 'customer@example.com', bytesOut, records: 0, tokens: 0, seq: 0 });
}

/** One event of metric 0 in a bucket of its own that closed without an alert. */
function learnActionSize(sizes: ActionSizes, action: string, value: number): void {
  noteActionSize(sizes, 0, action, value);
  settleActionSizes(sizes, 0, true, null);
}

const largestEmail = (events: DetectionEvent[]) => Math.max(...events.filter((e) => e.action === 'email.send').map((e) => e.bytesOut));

describe('per-action event sizes in the single-event guard', () => {
  it("an attachment ordinary for the agent's emails, larger than 1.5x any email before, raises no bytes-out alert", () => {
    const history = traffic('mailer-1', 'support', 0.02, 65, 200);
    // The guard's older allowances (1.5 x the recent largest event) cannot be what excuses it.
    expect(1.5 * largestEmail(history)).toBeLessThan(LARGE_EMAIL);
    const { alerts } = run(renumber(merge(history, [largeEmail('mailer-1', 'support', START + 60_000)])));
    expect(only(alerts, 'volume-spike.bytes-out')).toHaveLength(0);
  });

  it('three such attachments in one bucket still alert (only the largest event of a bucket is excused)', () => {
    const history = traffic('mailer-1', 'support', 0.02, 65, 200);
    const bulk = [1, 2, 3].map((i) => largeEmail('mailer-1', 'support', START + i * 60_000));
    const { alerts } = run(renumber(merge(history, bulk)));
    expect(only(alerts, 'volume-spike.bytes-out').length).toBeGreaterThanOrEqual(1);
  });

  it("an agent's first email is judged against its role's emails: ordinary there, no alert; in a role that never emails, an alert", () => {
    const peers = traffic('mailer-1', 'support', 0.05, 65, 200);
    // Small events (~200 bytes): an email of LARGE_EMAIL is ~40x its usual bucket, far above the rule's floors.
    const quiet = traffic('quiet-1', 'support', 0, 71, 200);
    const first = largeEmail('quiet-1', 'support', START + 60_000);
    const withPeers = run(renumber(merge(peers, quiet, [first])));
    expect(only(withPeers.alerts, 'volume-spike.bytes-out').filter((a) => a.agentId === 'quiet-1')).toHaveLength(0);
    // The same agent and email, but its role's agents never sent one: nothing says such a size is ordinary.
    const alone = run(renumber(merge(traffic('mailer-1', 'research', 0.05, 65, 200), quiet, [first])));
    expect(only(alone.alerts, 'volume-spike.bytes-out').filter((a) => a.agentId === 'quiet-1')).toHaveLength(1);
  });

  it('a fit is trusted after 20 events, excuses nothing when light-tailed, and the number of actions is bounded', () => {
    const sizes = createActionSizes(1);
    const rng = new Rng(5);
    for (let i = 0; i < 19; i++) learnActionSize(sizes, 'email.send', rng.lognormal(EMAIL_MEDIAN, EMAIL_LOG_SD));
    expect(ordinaryActionMax(sizes, 0, 'email.send')).toBe(NO_FIT);
    learnActionSize(sizes, 'email.send', EMAIL_MEDIAN);
    const ordinary = ordinaryActionMax(sizes, 0, 'email.send');
    expect(ordinary).toBeGreaterThan(EMAIL_MEDIAN * Math.exp(2.5 * EMAIL_LOG_SD));
    expect(ordinary).toBeLessThan(EMAIL_MEDIAN * Math.exp(5 * EMAIL_LOG_SD));
    // A metric sent at much the same size every time (log sd 0.05): one event of it cannot hide a spike.
    for (let i = 0; i < 30; i++) learnActionSize(sizes, 'metrics.push', rng.lognormal(80, 0.05));
    expect(ordinaryActionMax(sizes, 0, 'metrics.push')).toBe(0);
    for (let i = 0; i < 3 * MAX_ACTIONS; i++) learnActionSize(sizes, `invented-${i}`, 100);
    expect(sizes.actions).toHaveLength(MAX_ACTIONS);
    expect(sizes.fits.length).toBe(6 * MAX_ACTIONS);
  });

  it("a bucket's sizes teach only once it has closed without an alert (the first pages of a bulk read widen nothing)", () => {
    // Two metrics: what one holds leaves the other alone.
    const sizes = createActionSizes(2);
    const rng = new Rng(7);
    for (let i = 0; i < 40; i++) learnActionSize(sizes, 'data.read', rng.lognormal(25, 1));
    const before = ordinaryActionMax(sizes, 0, 'data.read');
    for (let i = 0; i < 5; i++) noteActionSize(sizes, 0, 'data.read', 1_000);
    expect(ordinaryActionMax(sizes, 0, 'data.read')).toBe(before);
    settleActionSizes(sizes, 0, false, null);
    expect(ordinaryActionMax(sizes, 0, 'data.read')).toBe(before);
    // The same five in a bucket that raised nothing do teach, the agent's fit and its role's.
    const role = createActionSizes(2);
    for (let i = 0; i < 5; i++) noteActionSize(sizes, 0, 'data.read', 1_000);
    settleActionSizes(sizes, 1, true, role);
    expect(ordinaryActionMax(sizes, 0, 'data.read')).toBe(before);
    settleActionSizes(sizes, 0, true, role);
    expect(ordinaryActionMax(sizes, 0, 'data.read')).toBeGreaterThan(before);
    expect(ordinaryActionMax(sizes, 1, 'data.read')).toBe(NO_FIT);
    expect(role.actions).toEqual(['data.read']);
  });

  it("the agent's and the role's fits survive their snapshots, as JSON, and restored series judge with them", () => {
    const engine = createEngine(DEFAULT_RULES);
    const history = renumber(merge(traffic('mailer-1', 'support', 0.05, 65, 200), traffic('quiet-1', 'support', 0, 71, 200)));
    for (const e of history) engine.process(e);
    const restored = createEngine(DEFAULT_RULES);
    for (const id of engine.agentIds()) restored.restoreAgent(id, JSON.parse(JSON.stringify(engine.snapshotAgent(id))) as AgentSnapshot);
    restored.restorePeers(JSON.parse(JSON.stringify(engine.snapshotPeers())) as Json);
    const volume = (e: typeof engine, id: string) => (e.snapshotAgent(id) as unknown as { detectors: Record<string, { actionSizes: unknown }> }).detectors['volume-spike']!.actionSizes;
    expect(volume(restored, 'mailer-1')).toEqual(volume(engine, 'mailer-1'));
    expect(restored.snapshotPeers()).toEqual(engine.snapshotPeers());
    // The same first email is judged alike by both: ordinary for the role (its fit came back), no alert.
    const first = { ...largeEmail('quiet-1', 'support', START + 60_000), seq: Math.max(...history.filter((e) => e.agentId === 'quiet-1').map((e) => e.seq)) + 1 };
    expect(only(engine.process(first), 'volume-spike.bytes-out')).toEqual([]);
    expect(only(restored.process(first), 'volume-spike.bytes-out')).toEqual([]);
  });
});
