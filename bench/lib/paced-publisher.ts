/**
 * The paced publisher of bench/latency.ts, run as a child process (agents are
 * not in the detector's process, and its event loop must not share theirs).
 * It publishes signed events through the demo's FleetPublisher at a target
 * rate: background agents round-robin at a steady per-agent rate, and every
 * so often the next unused spike agent bursts. Each event's timestamp is the
 * wall clock when it is built, right before it is sent (like the SDK).
 *
 * Protocol (IPC messages): parent -> child `init`, `phase`, `stop`;
 * child -> parent `ready`, `progress` (every 250 ms), `stopped`.
 */
import { FleetPublisher } from '../../cli/simulate/publisher.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, type Message } from '../../shared/kafka/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { Keyring, type KeyringData } from '../../shared/signing/index.js';
import { ordinaryEvent } from './fleet.js';

export interface PublisherInit {
  type: 'init';
  config: WardenConfig;
  keyring: KeyringData;
  background: string[];
  spikes: string[];
  role: string;
  /** Events in one spike, spread evenly over spikeMs. */
  spikeEvents: number;
  spikeMs: number;
  /** Shortest gap between two sends: events due in between go in the next send (like the SDK's linger). */
  lingerMs: number;
  /** Most events in one send; more due (the publisher fell behind) wait for the next. */
  maxBatch: number;
}

export interface PublisherPhase {
  type: 'phase';
  /** Background events per second (0: pause). */
  backgroundRate: number;
  /** How many of the background agents take part (each gets backgroundRate / backgroundAgents). */
  backgroundAgents: number;
  /** Spikes started per second (0: none). */
  spikesPerSecond: number;
}

export interface PublisherProgress {
  type: 'progress' | 'stopped';
  /** Events acknowledged by Kafka so far (all phases). */
  acked: number;
  spikeEvents: number;
  spikesStarted: number;
  spikesLeft: number;
  sends: number;
  /** Longest send (ms) since the last progress message. */
  maxSendMs: number;
  /** Send durations (ms, build to acknowledgement) since the current phase began: p50, p99. */
  sendP50: number;
  sendP99: number;
  /** Events due but not yet built (the publisher is behind by this many). */
  behind: number;
  /** CPU time of this process (µs, user + system) so far. */
  cpuMicros: number;
}

type FromParent = PublisherInit | PublisherPhase | { type: 'stop' };

const send = (m: unknown) => process.send?.(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let init: PublisherInit | null = null;
let phase: PublisherPhase = { type: 'phase', backgroundRate: 0, backgroundAgents: 0, spikesPerSecond: 0 };
let phaseStart = 0;
let bgBuilt = 0;
let nextSpikeAt = 0;
let stopping = false;

process.on('message', (m: FromParent) => {
  if (m.type === 'init') init = m;
  else if (m.type === 'phase') {
    phase = m;
    phaseStart = performance.now();
    sendMs.length = 0;
    bgBuilt = 0;
    nextSpikeAt = phaseStart;
  } else if (m.type === 'stop') stopping = true;
});
process.on('disconnect', () => {
  stopping = true;
});

while (!init && !stopping) await sleep(5);
if (!init) process.exit(0);
const o: PublisherInit = init;
const logger = createLogger('bench-publisher', { level: 'warn' });
const publisher = new FleetPublisher(createKafka(o.config, logger, 'bench-publisher'), o.config, new Keyring(o.keyring));
await publisher.connect();

const lastSeq = new Map<string, number>();
const counter = new Map<string, number>();
const spikePool = [...o.spikes];
const active: { agentId: string; start: number; emitted: number }[] = [];
const sendMs: number[] = [];
const stats = { acked: 0, spikeEvents: 0, spikesStarted: 0, sends: 0, maxSendMs: 0, behind: 0 };

/** At least the clock in microseconds, and above the agent's last seq (as the SDK does). */
function nextSeq(agentId: string, wallMs: number): number {
  const s = Math.max((lastSeq.get(agentId) ?? 0) + 1, wallMs * 1000);
  lastSeq.set(agentId, s);
  return s;
}

function build(agentId: string, wallMs: number): Message {
  const k = (counter.get(agentId) ?? 0) + 1;
  counter.set(agentId, k);
  return publisher.message({ event: ordinaryEvent(agentId, o.role, k, wallMs, nextSeq(agentId, wallMs)) });
}

function report(type: 'progress' | 'stopped'): void {
  const sorted = [...sendMs].sort((a, b) => a - b);
  const q = (x: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))]! : 0);
  send({ type, ...stats, spikesLeft: spikePool.length, cpuMicros: cpuMicros(), sendP50: q(0.5), sendP99: q(0.99) } satisfies PublisherProgress);
  stats.maxSendMs = 0;
}
const progress = setInterval(() => report('progress'), 250);

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

let rr = 0;
send({ type: 'ready' });
while (!stopping) {
  const loopStart = performance.now();
  if (phase.backgroundRate <= 0 && phase.spikesPerSecond <= 0 && active.length === 0) {
    await sleep(5);
    continue;
  }
  const wall = Date.now();
  const messages: Message[] = [];
  const due = Math.floor((phase.backgroundRate * (loopStart - phaseStart)) / 1000) - bgBuilt;
  const n = Math.min(due, o.maxBatch);
  stats.behind = Math.max(0, due - n);
  const agents = Math.max(1, Math.min(phase.backgroundAgents, o.background.length));
  for (let i = 0; i < n; i++) {
    messages.push(build(o.background[rr % agents]!, wall));
    rr = (rr + 1) % agents;
  }
  bgBuilt += Math.max(0, n);
  if (phase.spikesPerSecond > 0 && loopStart >= nextSpikeAt) {
    const agentId = spikePool.shift();
    if (agentId) {
      active.push({ agentId, start: loopStart, emitted: 0 });
      stats.spikesStarted++;
    }
    nextSpikeAt += 1000 / phase.spikesPerSecond;
  }
  for (const s of active) {
    const want = Math.min(o.spikeEvents, Math.ceil(((loopStart - s.start) / o.spikeMs) * o.spikeEvents) || 1);
    for (; s.emitted < want; s.emitted++) messages.push(build(s.agentId, wall));
  }
  for (let i = active.length - 1; i >= 0; i--) if (active[i]!.emitted >= o.spikeEvents) active.splice(i, 1);
  if (messages.length > 0) {
    await publisher.sendRaw(messages);
    const ms = performance.now() - loopStart; // from the events' timestamp (taken at the start of this loop) to the acknowledgement
    sendMs.push(ms);
    if (ms > stats.maxSendMs) stats.maxSendMs = ms;
    stats.sends++;
    stats.acked += messages.length;
    stats.spikeEvents += messages.length - Math.max(0, n);
  }
  const wait = o.lingerMs - (performance.now() - loopStart);
  if (wait > 0) await sleep(wait);
}
clearInterval(progress);
await publisher.disconnect();
report('stopped');
process.disconnect?.();
