/**
 * `warden demo`: the whole pipeline on a simulated fleet, in a minute or two.
 * Uses the configured Kafka/registry/Redis when they answer, else starts the
 * local stack (and stops it afterwards). Runs the detector, responder and
 * SIEM forwarder in this process against topics of its own, replays a week of
 * a seeded fleet's traffic in compressed time with scripted incidents, and
 * has the compromised agents' SDKs follow their kill switch: an action the
 * SDK refuses is not taken (not published). Ends with a table per incident.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pace } from '../simulate/pace.js';
import { FleetPublisher } from '../simulate/publisher.js';
import { stackDown, stackUp, stackStatus, type Component } from '../stack/index.js';
import { createDetectionEngine } from '../../services/detector/engine.js';
import { DetectorService } from '../../services/detector/service.js';
import { ResponderService } from '../../services/responder/service.js';
import { SiemForwarder } from '../../services/siem-forwarder/service.js';
import { sinksFromConfig } from '../../services/siem-forwarder/sinks/registry.js';
import { loadConfig, type WardenConfig } from '../../shared/config/index.js';
import { createKafka, ensureTopics, type KafkaClient } from '../../shared/kafka/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import { DEFAULT_POLICY } from '../../shared/response/index.js';
import type { Alert, QuarantineCommand } from '../../shared/schemas/generated.js';
import { Keyring } from '../../shared/signing/index.js';
import { createAgentTelemetry, type AgentTelemetry } from '../../shared/telemetry/index.js';
import { DETECTORS_FOR, generateScenario, type IncidentType, type LabelledIncident } from '../simulate/scenario/generator.js';
import { deleteKeysWithPrefix } from '../../shared/redis/cleanup.js';
import { startDemoConsole, untilInterrupted } from './keep.js';
import { DemoMcpAgent, mcpAttesterKeys } from './mcpAgent.js';
import { LiveView, renderTable, type IncidentRow } from './view.js';

export interface DemoOptions {
  agents: number; durationMs: number; seed: number; config?: WardenConfig; out?: NodeJS.WriteStream;
  /** Keep the stack, the services and the console (on this port; 0: any free port) up until Ctrl-C. */
  keep?: { consolePort: number };
}

/** The story: what each scripted incident is, in a SOC analyst's words. */
export const STORY: Partial<Record<IncidentType, string>> = {
  injection: 'prompt injection turns an agent',
  'exfil-volume': 'data exfiltration',
  'unusual-payment': 'finance agent: unusual payments',
  'forged-signature': 'impostor sends forged events',
  'credential-burst': 'credential-stuffing burst',
  'off-hours': 'off-hours data pull',
};

const DAY_MS = 86_400_000;

/** The simulated week starts on a Monday 00:00 UTC, so one seed tells the same story whatever the date. */
function mondayOnOrBefore(ts: number): number {
  const day = Math.floor(ts / DAY_MS);
  const weekday = (day + 3) % 7; // 1970-01-01 was a Thursday: 0 = Monday
  return (day - weekday) * DAY_MS;
}

export interface DemoResult {
  rows: IncidentRow[];
  /** Events sent; planned = events + refused (actions the kill switch refused never happen). */
  events: number;
  planned: number;
  refused: number;
  alerts: number;
  isolated: number;
  ok: boolean;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const out = o.out ?? process.stdout;
  const view = new LiveView(out);
  const say = (line: string) => view.message(line);
  const logger = createLogger('demo', { level: 'error' });
  const baseConfig = o.config ?? loadConfig();

  // 1. A stack: the configured one, or the local one.
  let started: Component[] = [];
  const status = await stackStatus(baseConfig).catch(() => []);
  const configuredUp = status.length > 0 && status.every((s) => s.up);
  if (!configuredUp) {
    say('No Kafka / schema registry / Redis answered at the configured addresses: starting the local stack (first run downloads the jars with Maven).');
    const up = await stackUp(baseConfig, (l) => say(`  [stack] ${l}`));
    started = up.startedNow;
  }
  const stackConfig = configuredUp ? baseConfig : loadConfig();

  // 2. Topics and Redis keys of this run only, so old data cannot change the story.
  const runId = `demo-${o.seed}-${Date.now().toString(36)}`;
  const topics = Object.fromEntries(Object.entries(stackConfig.topics).map(([k, t]) => [k, { ...t, name: `${t.name}.${runId}`, partitions: Math.min(t.partitions, 6) }])) as WardenConfig['topics'];
  const config: WardenConfig = { ...stackConfig, topics, redis: { ...stackConfig.redis, keyPrefix: `warden-demo:${runId}:` } };
  const kafka = createKafka(config, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  say(`Topics for this run: ${Object.values(topics).map((t) => t.name).join(', ')}`);

  // 3. The fleet: a week of seeded traffic ending now, with scripted incidents.
  const now = Date.now();
  const scenario = generateScenario({
    seed: o.seed,
    agents: o.agents,
    days: 7,
    startTs: mondayOnOrBefore(now - 7 * DAY_MS - 3_600_000),
    incidentsPerType: 1,
    types: Object.keys(STORY) as IncidentType[],
  });
  const keyring = new Keyring({ ...Object.fromEntries(scenario.agents.map((a) => [a.agentId, { [`demo-${o.seed}`]: randomBytes(24).toString('base64') }])), ...mcpAttesterKeys() });
  say(`Fleet: ${scenario.agents.length} agents in ${new Set(scenario.agents.map((a) => a.role)).size} roles, ${scenario.events.length.toLocaleString('en-US')} events planned over 7 simulated days, ${scenario.incidents.length} incidents (seed ${o.seed}).`);

  // 4. The pipeline.
  const detector = new DetectorService({ config, logger, keyring, engine: createDetectionEngine(), groupId: `${runId}-detector` });
  const responder = new ResponderService({ config, logger, policy: DEFAULT_POLICY, groupId: `${runId}-responder`, tickMs: 250 });
  const forwarder = new SiemForwarder({ config, logger, sinks: sinksFromConfig(config.siem), groupId: `${runId}-siem` });
  await detector.start();
  await responder.start();
  await forwarder.start();
  const kept = o.keep ? await startDemoConsole({ config, logger, responder, runId, port: o.keep.consolePort }) : null;
  say(`Detector, responder and SIEM forwarder are running (SIEM sinks: ${['siem.alerts topic', ...sinksFromConfig(config.siem).map((s) => s.name)].join(', ')}).`);

  // 5. The incident agents run the real SDK kill switch.
  const incidentAgents = new Map<string, LabelledIncident>(scenario.incidents.map((i) => [i.agentId, i]));
  const sdks = new Map<string, AgentTelemetry>();
  for (const agentId of incidentAgents.keys()) {
    const role = scenario.agents.find((a) => a.agentId === agentId)?.role ?? 'unknown';
    sdks.set(agentId, await createAgentTelemetry({ agentId, agentRole: role, keyring, config, logger, killSwitch: {} }));
  }
  const refused = new Map<string, number>();

  // 6. Watch what comes out.
  const watch = await watchOutputs(kafka, config, runId);

  // 7. Publish in compressed time. The compromised agents ask their SDK before acting; a refused action never happens.
  const publisher = new FleetPublisher(kafka, config, keyring);
  await publisher.connect();
  const t0 = Date.now();
  let rate = 0;
  const { published } = await pace(scenario, {
    durationMs: o.durationMs,
    send: (batch) => publisher.publish(batch),
    admit: (e) => {
      const sdk = sdks.get(e.agentId);
      if (!sdk || sdk.check(e.action).allowed) return true;
      refused.set(e.agentId, (refused.get(e.agentId) ?? 0) + 1);
      return false;
    },
    onTick: (p) => {
      rate = p.eventsPerSecond;
      view.update({
        elapsedMs: p.elapsedMs, simulatedFraction: p.fraction, simulatedTimeMs: p.simulatedTimeMs, eventsPublished: p.published, eventsPerSecond: rate,
        alertsBySeverity: watch.bySeverity(), agentsIsolated: watch.isolatedCount(), agentsTotal: scenario.agents.length, lastAlerts: watch.recent(),
      });
    },
  });
  await publisher.disconnect();

  // 8. Let the pipeline finish what is in flight (a poll with a deadline).
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const m = await detector.registry.getSingleMetric('warden_detector_events_total')?.get();
    if ((m?.values.reduce((s, v) => s + v.value, 0) ?? 0) >= published) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await watch.quiet(2000, 20_000);

  // 8b. An agent that reaches its tools through the MCP gateway (cli/demo/mcpAgent.ts) is turned by an injected ticket.
  say('MCP agent: reading docs through the MCP gateway (server-filesystem), then an injected ticket turns it...');
  const mcp = await DemoMcpAgent.start({ config, keyring, logger, workspace: join(stackConfig.stack.dir, 'demo', `${runId}.mcp-workspace`) });
  await mcp.work(3);
  const mcpOutcome = await mcp.injected(3, 45_000);
  say(`MCP agent: ${mcpOutcome.reachedServer} calls reached the server, ${mcpOutcome.refusedAtGateway} were refused at the gateway.`);
  await watch.quiet(1000, 10_000);
  view.update({
    elapsedMs: Date.now() - t0, simulatedFraction: 1, simulatedTimeMs: scenario.endTs, eventsPublished: published, eventsPerSecond: rate,
    alertsBySeverity: watch.bySeverity(), agentsIsolated: watch.isolatedCount(), agentsTotal: scenario.agents.length, lastAlerts: watch.recent(),
  });

  // 9. The story, incident by incident.
  const waiting = new Set((await responder.approvals.list()).map((p) => p.agentId));
  const rows: IncidentRow[] = scenario.incidents.map((inc) => {
    const alerts = watch.alerts.filter((a) => a.agentId === inc.agentId && DETECTORS_FOR[inc.type].includes(a.detector) && a.lastSeen >= inc.start - 3_600_000);
    const first = alerts.reduce<Alert | null>((m, a) => (m === null || a.firstSeen < m.firstSeen ? a : m), null);
    const cmds = watch.commands.filter((c) => c.agentId === inc.agentId && c.type !== 'RELEASE');
    const cmd = cmds[0];
    const pendingApproval = !cmd && first !== null && waiting.has(inc.agentId);
    const blocked = refused.get(inc.agentId) ?? 0;
    return {
      incident: STORY[inc.type] ?? inc.type,
      agentId: inc.agentId,
      detected: first !== null,
      timeToDetect: first ? `${Math.max(0, Math.round((first.firstSeen - inc.start) / 60_000))} min` : '-',
      // The incident's severity as it stands now (an alert escalates while its incident grows).
      alert: first ? `${first.severity} ${first.ruleId}${first.count > 1 ? ` (x${first.count})` : ''}` : '-',
      response: cmd ? `${cmd.type}${cmd.revokedCapabilities.length ? ` ${cmd.revokedCapabilities.join(',')}` : ''} by ${cmd.issuedBy}` : pendingApproval ? 'waiting for approval' : first ? 'notify (SIEM only)' : '-',
      stopped: inc.type === 'forged-signature'
        ? 'n/a: an impostor, not the agent'
        : blocked > 0 ? `yes: ${blocked} actions refused` : cmd ? 'isolated; no further attempts' : 'no',
    };
  });
  rows.push(mcp.row(watch.alerts, watch.commands));
  say('');
  say(renderTable(rows, Math.min(120, out.columns ?? 120)));
  const alertCount = watch.alerts.length;
  const refusedTotal = [...refused.values()].reduce((a, b) => a + b, 0);
  const n = (v: number) => v.toLocaleString('en-US');
  say(`\n${n(published)} events sent of ${n(scenario.events.length)} planned: the other ${n(refusedTotal)} were actions the isolated agents' kill switch refused, so they never happened and were never sent.`);
  say(`${alertCount} alerts, ${watch.isolatedCount()} agents isolated.`);
  // The run's topics are deleted below (and Kafka stopped if the demo started it): keep what the hint points at in files.
  const saved = saveOutputs(join(stackConfig.stack.dir, 'demo'), runId, watch.alerts, watch.commands);
  say(`Alerts and isolation commands of this run are kept in ${saved.alerts} and ${saved.commands} (one JSON object per line, e.g. \`head -1 ${saved.alerts}\`).`);
  say('To watch a pipeline of your own live: `warden stack up`, `warden run all`, then `warden simulate` and `warden tail alerts` in other terminals (README "Run the services without Docker").');

  if (kept) {
    say(`\nThe stack, the services and the console stay up until Ctrl-C.\nConsole: ${kept.url} (paste a token: responder ${kept.tokens.responder} or viewer ${kept.tokens.viewer})`);
    await untilInterrupted();
    say('Stopping the console and the services.');
    await kept.stop();
  }

  // 10. Leave nothing running that the demo started.
  await watch.stop();
  await Promise.all([...sdks.values()].map((s) => s.close({ timeoutMs: 5000 })));
  await mcp.stop();
  await forwarder.stop();
  await responder.stop();
  await detector.stop();
  await admin.deleteTopics({ topics: Object.values(topics).map((t) => t.name) }).catch(() => undefined);
  await admin.disconnect();
  // Every key of this run has its prefix; none outlives it.
  await deleteKeysWithPrefix(config, config.redis.keyPrefix).catch((err: Error) => say(`Could not remove this run's Redis keys (${config.redis.keyPrefix}*): ${err.message}`));
  if (started.length > 0) {
    say(`Stopping the local stack parts the demo started (${started.join(', ')}).`);
    await stackDown(stackConfig, () => undefined, started);
  }
  return { rows, events: published, planned: scenario.events.length, refused: refusedTotal, alerts: alertCount, isolated: watch.isolatedCount(), ok: rows.every((r) => r.detected) };
}

function saveOutputs(dir: string, runId: string, alerts: Alert[], commands: QuarantineCommand[]): { alerts: string; commands: string } {
  mkdirSync(dir, { recursive: true });
  const files = { alerts: join(dir, `${runId}.alerts.jsonl`), commands: join(dir, `${runId}.commands.jsonl`) };
  writeFileSync(files.alerts, alerts.map((a) => `${JSON.stringify(a)}\n`).join(''));
  writeFileSync(files.commands, commands.map((c) => `${JSON.stringify(c)}\n`).join(''));
  return files;
}

/** Follows security.alerts and agent.quarantine of this run. */
async function watchOutputs(kafka: KafkaClient, config: WardenConfig, runId: string) {
  const registry = createRegistry(config);
  const alerts: Alert[] = [];
  const byId = new Map<string, Alert>();
  const commands: QuarantineCommand[] = [];
  const isolated = new Set<string>();
  let lastOutput = Date.now();
  const consumer = kafka.consumer({ groupId: `${runId}-watch-${randomUUID().slice(0, 6)}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topics.alerts.name, config.topics.quarantine.name], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, message }) => {
      if (!message.value) return;
      lastOutput = Date.now();
      const v = await registry.decode(message.value);
      if (topic === config.topics.alerts.name) {
        const a = v as Alert;
        // Keep each incident's latest state (same alertId, higher count, maybe a higher severity).
        const seen = byId.get(a.alertId);
        if (seen) alerts[alerts.indexOf(seen)] = a;
        else alerts.push(a);
        byId.set(a.alertId, a);
      } else {
        const c = v as QuarantineCommand;
        commands.push(c);
        if (c.type === 'RELEASE') isolated.delete(c.agentId);
        else isolated.add(c.agentId);
      }
    },
  });
  return {
    alerts,
    commands,
    bySeverity: () => alerts.reduce<Record<string, number>>((m, a) => ((m[a.severity] = (m[a.severity] ?? 0) + 1), m), {}),
    isolatedCount: () => isolated.size,
    recent: () => alerts.slice(-5).map((a) => `${a.severity.padEnd(8)} ${a.agentId} ${a.ruleId}: ${a.title}`),
    quiet: async (quietMs: number, maxMs: number) => {
      const end = Date.now() + maxMs;
      while (Date.now() < end && Date.now() - lastOutput < quietMs) await new Promise((r) => setTimeout(r, 100));
    },
    stop: () => consumer.disconnect(),
  };
}
