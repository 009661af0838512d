/**
 * Small deterministic streams for the detector tests: one agent, flat or
 * day-shaped traffic, built from the scenario PRNG.
 */
import { createEngine, DEFAULT_RULES, resolveRules, type AgentSnapshot, type DetectionEvent, type Engine, type Json, type Rules } from '../../../shared/detection/index.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';

export const BUCKET_MS = DEFAULT_RULES.engine.bucketMs;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Monday 2025-01-06 00:00 UTC. */
export const T0 = Date.UTC(2025, 0, 6);

let counter = 0;

export function event(over: Partial<DetectionEvent> = {}): DetectionEvent {
  counter++;
  return {
    eventId: `evt-${String(counter).padStart(9, '0')}`,
    agentId: 'agent-1',
    agentRole: 'support',
    tenantId: 'tenant-1',
    sessionId: null,
    principal: null,
    timestamp: T0,
    seq: counter,
    action: 'tool.call',
    resource: 'search_kb',
    target: null,
    outcome: 'SUCCESS',
    bytesIn: 100,
    bytesOut: 200,
    records: 1,
    tokens: 50,
    amount: null,
    currency: null,
    text: null,
    attributes: {},
    verification: 'valid',
    ...over,
  };
}

export interface StreamOptions {
  agentId?: string;
  agentRole?: string;
  from?: number;
  to: number;
  /** Events per bucket (mean). */
  perBucket?: number | ((ts: number) => number);
  seed?: number;
  actions?: string[];
  resources?: string[];
  /** Extra fields for every event. */
  with?: (rng: Rng, ts: number) => Partial<DetectionEvent>;
}

/** A Poisson stream of ordinary events for one agent, in time order, seq increasing. */
export function stream(opts: StreamOptions): DetectionEvent[] {
  const rng = new Rng(opts.seed ?? 1);
  const out: DetectionEvent[] = [];
  const actions = opts.actions ?? ['tool.call', 'data.read', 'api.request'];
  const resources = opts.resources ?? ['search_kb', 'crm.orders', 'kb/articles'];
  const from = opts.from ?? T0;
  let seq = 1000;
  for (let b = from; b < opts.to; b += BUCKET_MS) {
    const rate = typeof opts.perBucket === 'function' ? opts.perBucket(b) : (opts.perBucket ?? 10);
    const n = rng.poisson(rate);
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(b + Math.floor(rng.next() * BUCKET_MS));
    times.sort((x, y) => x - y);
    for (const ts of times) {
      out.push(
        event({
          agentId: opts.agentId ?? 'agent-1',
          agentRole: opts.agentRole ?? 'support',
          timestamp: ts,
          seq: seq++,
          action: rng.pick(actions),
          resource: rng.pick(resources),
          bytesOut: Math.round(rng.lognormal(2000, 0.3)),
          records: Math.round(rng.lognormal(10, 0.3)),
          tokens: Math.round(rng.lognormal(300, 0.3)),
          ...opts.with?.(rng, ts),
        }),
      );
    }
  }
  return out;
}

/** Merge streams by timestamp (stable). */
export function merge(...streams: DetectionEvent[][]): DetectionEvent[] {
  return streams.flat().sort((a, b) => a.timestamp - b.timestamp);
}

/** Renumber seq in time order per agent (after merging own streams). */
export function renumber(events: DetectionEvent[]): DetectionEvent[] {
  const next = new Map<string, number>();
  for (const e of events) {
    const s = next.get(e.agentId) ?? 1;
    e.seq = s;
    next.set(e.agentId, s + 1);
  }
  return events;
}

export function run(events: DetectionEvent[], engine: Engine = createEngine(DEFAULT_RULES)): { engine: Engine; alerts: Alert[]; at: number[] } {
  const alerts: Alert[] = [];
  const at: number[] = [];
  for (const e of events) {
    for (const a of engine.process(e)) {
      alerts.push(a);
      at.push(e.timestamp);
    }
  }
  return { engine, alerts, at };
}

export function rulesWith(over: unknown): Rules {
  return resolveRules(over, 'test');
}

/** The default rules with no incident groups: each rule keeps its own incidents (tests of one rule's alert and evidence). */
export function ungroupedEngine(over: Record<string, unknown> = {}): Engine {
  return createEngine(rulesWith({ ...over, incidentGroups: [] }));
}

/** Whether a rule starting with `prefix` found this alert: its own rule, or one that joined its incident group (details.incidentRules). */
export function foundBy(a: Alert, prefix: string): boolean {
  if (a.ruleId.startsWith(prefix)) return true;
  const joined = a.evidence.details.incidentRules;
  return joined !== undefined && joined.split(', ').some((entry) => entry.startsWith(prefix));
}

/** The incidents of rules starting with `prefix`, as a consumer upserting by alertId sees them: one per id, its latest emission, in order of first emission. */
export function only(alerts: Alert[], prefix: string): Alert[] {
  const byId = new Map<string, Alert>();
  for (const a of alerts) if (foundBy(a, prefix)) byId.set(a.alertId, a);
  return [...byId.values()];
}

/** Every emission (first and updates) of rules starting with `prefix`. */
export function emissions(alerts: Alert[], prefix: string): Alert[] {
  return alerts.filter((a) => foundBy(a, prefix));
}

/**
 * Feed agent-1's events before `cut`, swap one detector's snapshot for `state(own snapshot)`, move the agent (and the
 * peers) to a fresh engine through JSON and feed the rest: how a codec's migrated or malformed snapshots are tested.
 */
export function resumeWithState(events: DetectionEvent[], cut: number, detector: string, state: (own: Json) => Json): { rest: Alert[]; engine: Engine } {
  const first = createEngine(DEFAULT_RULES);
  for (const e of events.slice(0, cut)) first.process(e);
  const snap = JSON.parse(JSON.stringify(first.snapshotAgent('agent-1'))) as AgentSnapshot;
  snap.detectors[detector] = state(snap.detectors[detector]!);
  const engine = createEngine(DEFAULT_RULES);
  engine.restorePeers(JSON.parse(JSON.stringify(first.snapshotPeers())));
  engine.restoreAgent('agent-1', snap);
  const rest: Alert[] = [];
  for (const e of events.slice(cut)) rest.push(...engine.process(e));
  return { rest, engine };
}
