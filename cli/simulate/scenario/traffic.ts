/**
 * Normal traffic of one agent: a non-homogeneous Poisson process whose rate
 * follows the role's daily and weekly rhythm, shifted and scaled a little
 * every day, with gamma-distributed burstiness per 5-minute slot; action,
 * resource, target, sizes and text drawn from the agent's profile.
 */
import type { DetectionEvent } from '../../../shared/detection/index.js';
import { DAY_MS, HOUR_MS, localTime, rhythm, type AgentProfile } from './fleet.js';
import type { Rng } from './prng.js';

export const SLOT_MS = 300_000;
/** Gamma shape of the per-slot burstiness (CV = 1/sqrt(k)). */
const BURST_SHAPE = 12;

/** An event before its seq is assigned (seq = 0 until then). */
export type GenEvent = DetectionEvent;

export interface DayFactors {
  /** Minutes the daily curve is shifted on each day. */
  shiftMin: number[];
  /** Activity level multiplier per day. */
  level: number[];
}

export function dayFactors(agent: AgentProfile, rng: Rng, startTs: number, days: number): DayFactors {
  const shiftMin: number[] = [];
  const level: number[] = [];
  for (let d = 0; d <= days + 1; d++) {
    shiftMin.push(agent.spec.rhythm === 'business' ? rng.normal(0, 20) : rng.normal(0, 10));
    level.push(rng.lognormal(1, 0.12));
  }
  void startTs;
  return { shiftMin, level };
}

/** Expected activity (0..~1 of peak) at ts, without burstiness: the rhythm in the agent's local time. */
export function activityAt(agent: AgentProfile, f: DayFactors, startTs: number, ts: number): number {
  const day = Math.max(0, Math.floor((ts - startTs) / DAY_MS));
  const shifted = localTime(agent, ts) - (f.shiftMin[day] ?? 0) * 60_000;
  const hourOfDay = ((shifted % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS;
  const dow = (Math.floor(shifted / DAY_MS) + 3) % 7; // 0 = Monday (1970-01-01 was a Thursday)
  return rhythm(agent.spec, hourOfDay, dow >= 5) * (f.level[day] ?? 1);
}

/** Expected events per 5-minute slot at ts. */
export function lambdaAt(agent: AgentProfile, f: DayFactors, startTs: number, ts: number): number {
  return (agent.peakPerHour / 12) * activityAt(agent, f, startTs, ts);
}

const SUPPORT_TEXT = [
  'Hi, my order #{n} has not arrived yet, can you check the shipping status?',
  'I was charged twice for my subscription this month, please refund one payment.',
  'Please ignore my previous email about the invoice, it was sorted out by your colleague.',
  'How do I reset my password? I forgot it and the reset link expired.',
  'Can you show me the status of ticket {n}? The system says pending.',
  'Customer asks to forward the invoice copy to their accounting team.',
  'Summarize the conversation so far and draft a polite reply with the refund policy.',
  'The app crashes when I open settings on Android 14, what should I do?',
  'Please do not contact me by phone, email is fine.',
  'Could you repeat the last order so I can check the quantities?',
];
const FINANCE_TEXT = [
  'Match invoice INV-{n} against purchase order PO-{n} and flag differences above 2%.',
  'Prepare the monthly accruals summary for the controller.',
  'Vendor asked to update their bank details; route to the verification workflow.',
  'Reconcile the operating account statement for last week.',
  'Draft the payment run for approved invoices due this Friday.',
  'Explain the variance in travel expenses versus budget.',
];
const RESEARCH_TEXT = [
  'Find recent papers on retrieval-augmented generation evaluation and summarize the methods.',
  'Compare the benchmark results in table 3 of the two papers.',
  'Search for the admin mode documentation of the lab printer.',
  'Extract all tables from this PDF and convert them to CSV.',
  'What does the system prompt of an LLM usually contain? Write a short explainer for the wiki.',
  'Collect public statistics on renewable energy adoption since 2015.',
];
const DEVOPS_TEXT = [
  'Deployment of service {n} failed readiness probe, check the logs and roll back if needed.',
  'Rotate the CI runner token before it expires next week.',
  'Summarize the alerts from the last hour and open an incident if error rate > 5%.',
  'Clean up old build caches on the runners.',
  'Terraform plan shows 3 changes; explain them before apply.',
];
const TEXTS: Record<string, string[]> = { support: SUPPORT_TEXT, finance: FINANCE_TEXT, research: RESEARCH_TEXT, devops: DEVOPS_TEXT };

export function benignText(agent: AgentProfile, rng: Rng): string {
  // A role the fleet does not define (the cold-start evasion's new role) talks like support.
  return rng.pick(TEXTS[agent.role] ?? SUPPORT_TEXT).replace(/\{n\}/g, () => String(rng.int(1000, 99999)));
}

let idCounter = 0;
/** Deterministic UUIDv7-shaped ids: event time in the first 48 bits, a counter after. */
export function eventId(ts: number): string {
  idCounter = (idCounter + 1) % 0x1000000000000;
  const t = Math.max(0, Math.floor(ts)).toString(16).padStart(12, '0').slice(-12);
  const c = idCounter.toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${c.slice(0, 3)}-8${c.slice(3, 6)}-${c.slice(0, 6)}${c.slice(6, 12)}`;
}
export function resetEventIds(): void {
  idCounter = 0;
}

/** Counter values from here on belong to generator additions (evasions, benign changes), far above the fleet's. */
const ADDED_ID_BASE = 0x8000_0000_0000;
const ADDED_ID_SPAN = 2 ** 32;

/**
 * Runs `make` with event ids from an id space of its own (`space` >= 0), then resumes the main counter:
 * an addition's events do not shift the ids of the events made after it, so adding an incident kind
 * leaves every other incident's events byte-identical.
 */
export function inEventIdSpace<T>(space: number, make: () => T): T {
  const saved = idCounter;
  idCounter = ADDED_ID_BASE + (space % 2 ** 15) * ADDED_ID_SPAN;
  try {
    return make();
  } finally {
    idCounter = saved;
  }
}

/** One event of `action` at ts, with sizes typical for the action. */
export function makeEvent(agent: AgentProfile, rng: Rng, ts: number, action: string): GenEvent {
  const res = agent.resources.get(action) ?? agent.resources.get('default');
  const resource = res ? res.items[rng.pickCumulative(res.cum)]! : null;
  let target: string | null = null;
  let outcome: GenEvent['outcome'] = 'SUCCESS';
  let bytesIn = 0, bytesOut = 0, records = 0, tokens = 0;
  let amount: number | null = null;
  let currency: string | null = null;
  let text: string | null = null;
  switch (action) {
    case 'data.read':
      records = Math.max(1, Math.round(rng.lognormal(25, 1.0)));
      bytesIn = records * 400;
      bytesOut = 300;
      break;
    case 'data.write':
      records = Math.max(1, Math.round(rng.lognormal(10, 0.8)));
      bytesOut = records * 400;
      break;
    case 'net.egress':
      target = agent.targets.items[rng.pickCumulative(agent.targets.cum)]!;
      bytesOut = Math.round(rng.lognormal(15_000, 1.0));
      bytesIn = Math.round(rng.lognormal(50_000, 1.0));
      break;
    case 'email.send':
      target = agent.targets.items[rng.pickCumulative(agent.targets.cum)]!;
      bytesOut = Math.round(rng.lognormal(6_000, 0.6));
      break;
    case 'api.request':
      bytesOut = Math.round(rng.lognormal(1_500, 0.5));
      bytesIn = Math.round(rng.lognormal(4_000, 0.8));
      records = Math.round(rng.lognormal(3, 0.8));
      break;
    case 'tool.call':
      tokens = Math.round(rng.lognormal(300, 0.6));
      bytesOut = Math.round(rng.lognormal(800, 0.5));
      break;
    case 'prompt.input':
      tokens = Math.round(rng.lognormal(400, 0.7));
      if (rng.chance(agent.textRate)) text = benignText(agent, rng);
      break;
    case 'model.output':
      tokens = Math.round(rng.lognormal(900, 0.7));
      if (rng.chance(agent.textRate * 0.5)) text = benignText(agent, rng);
      break;
    case 'payment.transfer':
      target = agent.targets.items[rng.pickCumulative(agent.targets.cum)]!;
      amount = Math.round(rng.lognormal(agent.payMedian, 0.5) * 100) / 100;
      currency = 'EUR';
      records = 1;
      break;
    case 'auth.login':
      if (rng.chance(agent.authErrorRate)) outcome = 'ERROR';
      break;
    default:
      bytesOut = Math.round(rng.lognormal(500, 0.5));
  }
  if (outcome === 'SUCCESS' && action !== 'auth.login' && rng.chance(agent.deniedRate)) outcome = 'DENIED';
  const t = Math.floor(ts);
  return {
    eventId: eventId(t),
    agentId: agent.agentId,
    agentRole: agent.role,
    tenantId: agent.tenantId,
    sessionId: `s-${agent.agentId}-${Math.floor(t / 900_000)}`,
    principal: agent.role === 'support' ? `u-${rng.int(1, 500)}` : null,
    timestamp: t,
    seq: 0,
    action,
    resource,
    target,
    outcome,
    bytesIn,
    bytesOut,
    records,
    tokens,
    amount,
    currency,
    text,
    attributes: {},
    verification: 'valid',
  };
}

export function randomAction(agent: AgentProfile, rng: Rng): string {
  return agent.actionNames[rng.pickCumulative(agent.actionCum)]!;
}

/** Normal traffic of one agent over [agent.joinTs, endTs). */
export function normalTraffic(agent: AgentProfile, f: DayFactors, rng: Rng, startTs: number, endTs: number): GenEvent[] {
  const out: GenEvent[] = [];
  const first = Math.floor(agent.joinTs / SLOT_MS) * SLOT_MS;
  for (let slot = first; slot < endTs; slot += SLOT_MS) {
    const lambda = lambdaAt(agent, f, startTs, slot + SLOT_MS / 2) * rng.gammaMeanOne(BURST_SHAPE);
    const n = rng.poisson(lambda);
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(slot + rng.next() * SLOT_MS);
    times.sort((a, b) => a - b);
    for (const ts of times) if (ts >= agent.joinTs && ts < endTs) out.push(makeEvent(agent, rng, ts, randomAction(agent, rng)));
  }
  // A nightly batch job (devops): a 20-30 minute burst of reads and writes, at its local hour.
  const job = agent.spec.nightlyJobHour;
  if (job !== undefined) {
    const offset = localTime(agent, 0);
    for (let day = Math.floor((agent.joinTs + offset) / DAY_MS) * DAY_MS - offset; day < endTs; day += DAY_MS) {
      const begin = day + job * HOUR_MS + rng.normal(0, 10) * 60_000;
      const len = rng.uniform(20, 30) * 60_000;
      const n = rng.poisson((agent.peakPerHour / 60) * (len / 60_000) * 1.5);
      for (let i = 0; i < n; i++) {
        const ts = begin + rng.next() * len;
        if (ts < agent.joinTs || ts >= endTs) continue;
        const e = makeEvent(agent, rng, ts, rng.chance(0.6) ? 'data.read' : 'data.write');
        e.records *= 5;
        e.bytesOut = e.action === 'data.write' ? e.records * 400 : e.bytesOut;
        out.push(e);
      }
    }
  }
  return out;
}
