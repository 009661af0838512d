/**
 * The agents one gateway speaks for. Each has its own SDK telemetry object, in attester mode: it
 * publishes that agent's events signed with the gateway's key (keyring entry attester:mcp-gateway), and
 * its kill switch follows agent.quarantine for that agent and the fleet key, applying signed commands only.
 * The gateway reuses the SDK whole (emitter, batching, verification, fail-closed) instead of a second copy.
 */
import type { WardenConfig } from '../../shared/config/index.js';
import { WardenError } from '../../shared/errors/index.js';
import { agentIdProblem, labelProblem } from '../../shared/identity/index.js';
import type { KafkaClient } from '../../shared/kafka/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { counter, type Registry } from '../../shared/metrics/index.js';
import type { SchemaRegistry } from '../../shared/registry/index.js';
import { ATTESTER_PREFIX, hmacSha256, type Keyring } from '../../shared/signing/index.js';
import { createAgentTelemetry, type AgentTelemetry, type Decision } from '../../shared/telemetry/index.js';
import { callEvent, type CallReport, type ReportOptions } from './calls.js';
import type { CallGuard } from './inspector.js';

export const ATTESTER = 'mcp-gateway';

/**
 * How long a reported call waits for others before its produce request (the SDK's default is 10 ms). An agent
 * calling tools back to back makes a call every few ms, and at 10 ms each produce carried 2-5 events: the
 * produce requests were a fifth of the gateway's CPU (bench/mcp-latency.ts --gateway-cpu-prof). 50 ms more
 * before an event reaches the detector is nothing next to its buckets; enforcement does not wait for it.
 */
const EVENT_LINGER_MS = 50;

/**
 * Most events in one produce request (the SDK's default is 500). kafkajs encodes a whole request in one
 * synchronous stretch, and no agent line is relayed while it runs: with the linger alone, an agent calling back
 * to back (~3,000 calls/s in bench/mcp-latency.ts) filled 70-85 events per produce (up to 214), the stdio calls
 * that overlapped a produce took 3.0-3.6 ms at their p90 (0.4 ms for the others), and they were about a third of
 * the calls at or above their round's p99. At 64 those p90s fell to 1.8-2.0 ms, and the calls over 2.5 ms that
 * overlapped a produce from 27-33 to 12-21 per 5,000. 16 or 32 shorten each stretch further but send 2-4x the
 * produce requests, each of which also wakes the broker on the same cores: the slow calls did not fall further
 * (32: 18-24, 16: 32-43). Measured 2026-12-03, load 1.6-5: services/mcp-gateway/README.md, "Where the stdio tail comes from".
 */
export const MAX_EVENTS_PER_PRODUCE = 64;

export interface AgentSpec { agentId: string; agentRole: string; tenantId: string }

export interface HubDeps {
  config: WardenConfig;
  keyring: Keyring;
  logger: Logger;
  metrics: Registry;
  kafka?: KafkaClient;
  registry?: SchemaRegistry;
}

export class AgentHub {
  readonly #agents = new Map<string, AgentTelemetry>();
  readonly #report: ReportOptions;
  readonly #metrics;
  readonly #queued: (() => void)[] = [];
  #drainTimer: NodeJS.Immediate | null = null;

  constructor(private readonly deps: HubDeps) {
    const g = deps.config.mcpGateway;
    const kid = deps.keyring.activeKid(`${ATTESTER_PREFIX}${ATTESTER}`);
    const secret = kid ? deps.keyring.secret(`${ATTESTER_PREFIX}${ATTESTER}`, kid) : undefined;
    if (!secret) throw new WardenError('config.invalid', `the keyring has no key for ${ATTESTER_PREFIX}${ATTESTER}: the gateway signs every event it reports with it`);
    // A key of its own for argument digests, derived so the signing key itself never hashes user data.
    this.#report = { digestKey: hmacSha256(secret, Buffer.from('warden.mcp-gateway.arguments-digest')), recordArguments: g.recordArguments, maxArgumentChars: g.maxArgumentChars };
    this.#metrics = {
      calls: counter('warden_mcp_calls_total', 'Guarded MCP requests, by outcome', ['agent_id', 'outcome'], deps.metrics),
      reportFailures: counter('warden_mcp_report_failures_total', 'Calls whose event could not be built or queued (logged)', ['agent_id'], deps.metrics),
    };
  }

  /** Starts every agent first, so no call arrives before its isolation state is known. */
  async start(specs: AgentSpec[]): Promise<void> {
    for (const s of specs) {
      const problem = agentIdProblem(s.agentId) ?? labelProblem('agentRole', s.agentRole) ?? labelProblem('tenantId', s.tenantId);
      if (problem) throw new WardenError('config.invalid', `mcpGateway agent: ${problem}`);
    }
    const startOne = async (s: AgentSpec) => {
      if (this.#agents.has(s.agentId)) return;
      const t = await createAgentTelemetry({
        agentId: s.agentId, agentRole: s.agentRole, tenantId: s.tenantId, attester: ATTESTER,
        keyring: this.deps.keyring, config: this.deps.config, kafka: this.deps.kafka, registry: this.deps.registry,
        logger: this.deps.logger, metrics: this.deps.metrics,
        killSwitch: { failClosedAfterMs: this.deps.config.mcpGateway.failClosedAfterMs },
        lingerMs: EVENT_LINGER_MS,
        maxBatchSize: MAX_EVENTS_PER_PRODUCE,
      });
      this.#agents.set(s.agentId, t);
    };
    // The first start registers the event schema; starting all at once races that registration in the registry.
    const [first, ...rest] = specs;
    if (first) await startOne(first);
    await Promise.all(rest.map(startOne));
  }

  has(agentId: string): boolean {
    return this.#agents.has(agentId);
  }

  telemetry(agentId: string): AgentTelemetry {
    const t = this.#agents.get(agentId);
    if (!t) throw new WardenError('config.invalid', `agent ${agentId} is not served by this gateway`);
    return t;
  }

  /** The enforcement and reporting side of one connection, for one authenticated agent. */
  guardFor(agentId: string): CallGuard {
    const t = this.telemetry(agentId);
    return {
      check: (capability: string): Decision => t.check(capability),
      report: (r: CallReport) => {
        this.#metrics.calls.inc({ agent_id: agentId, outcome: r.outcome });
        this.#queue(() => {
          let input;
          try {
            input = callEvent(r, this.#report);
          } catch (err) {
            this.#reportFailed(agentId, r, err);
            return;
          }
          t.emit(input).catch((err: unknown) => this.#reportFailed(agentId, r, err));
        });
      },
    };
  }

  /**
   * Building, encoding and signing an event runs after the answer is written (setImmediate comes after the
   * I/O the answer queued), so the call waits neither for Kafka nor for the event's own CPU; the telemetry
   * buffer then batches the sends. close() runs what is still queued, so no call goes unreported.
   */
  #queue(job: () => void): void {
    this.#queued.push(job);
    this.#drainTimer ??= setImmediate(() => this.#drainQueued());
  }

  #drainQueued(): void {
    if (this.#drainTimer) clearImmediate(this.#drainTimer);
    this.#drainTimer = null;
    const jobs = this.#queued.splice(0);
    for (const job of jobs) job();
  }

  #reportFailed(agentId: string, r: CallReport, err: unknown): void {
    this.#metrics.reportFailures.inc({ agent_id: agentId });
    this.deps.logger.error({ agentId, method: r.call.method, name: r.call.name, outcome: r.outcome, err: (err as Error).message }, 'MCP call could not be reported');
  }

  async close(): Promise<void> {
    this.#drainQueued();
    await Promise.allSettled([...this.#agents.values()].map((t) => t.close()));
    this.#agents.clear();
  }
}
