/**
 * Scale-out: one detector alone vs two detector instances in one consumer
 * group, over the same pre-produced 12-partition topic of a fleet with
 * incidents (test/support/scenario.ts incidentFleet). The single instance
 * and the pair each have their own group, alerts topic and Redis prefix.
 * Shows that the union of the pair's alert ids equals the single instance's
 * (any difference printed), that each instance of the pair owned partitions,
 * and both rates. On a 2-core machine this shows that the split is correct,
 * not that it is faster.
 *
 * Agents get more than a day of steady history before the incidents, so every
 * spike is judged on the agent's own baseline: peer (role) profiles are
 * learned from whatever partitions an instance holds, so alerts that depend on
 * them may legitimately differ between one instance and two.
 *
 *   npx tsx bench/scale-out.ts [--agents 60] [--history-hours 25] [--incident-buckets 40] [--partitions 12]
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Command } from 'commander';
import { FleetPublisher } from '../cli/simulate/publisher.js';
import { createDetectionEngine } from '../services/detector/engine.js';
import { DetectorService } from '../services/detector/service.js';
import { StateStore } from '../services/detector/stateStore.js';
import { loadConfig, type WardenConfig } from '../shared/config/index.js';
import { createKafka, ensureTopics } from '../shared/kafka/index.js';
import { createLogger } from '../shared/logging/index.js';
import { createRedis } from '../shared/redis/index.js';
import { createRegistry, registerSchemas } from '../shared/registry/index.js';
import type { Alert } from '../shared/schemas/generated.js';
import { Keyring } from '../shared/signing/index.js';
import { readAlerts } from '../test/support/detector.js';
import { incidentFleet } from '../test/support/scenario.js';
import { deleteKeysWithPrefix } from './lib/cleanup.js';
import { keyringData } from './lib/fleet.js';
import { busyCores, cpuTicks } from './lib/machine.js';
import { fmt, writeSection } from './lib/results.js';

const program = new Command()
  .name('bench/scale-out.ts')
  .description('1 vs 2 detector instances in one consumer group: same alert ids, partitions split, both rates (needs the local stack)')
  .option('--agents <n>', 'agents in the fleet (at most 1000)', '60')
  .option('--history-hours <h>', 'hours of steady traffic before the incident buckets (more than 24: past the learning period)', '25')
  .option('--incident-buckets <n>', 'five-minute buckets at the end in which incidents happen', '40')
  .option('--partitions <n>', 'partitions of the events topic', '12')
  .option('--second-after <fraction>', 'the pair\'s second instance starts once the first has handled this fraction of the events (0: both at once)', '0.1')
  .parse();
const o = program.opts<{ agents: string; historyHours: string; incidentBuckets: string; partitions: string; secondAfter: string }>();
const SECOND_AFTER = Number(o.secondAfter);
const AGENTS = Number(o.agents);
const HISTORY_HOURS = Number(o.historyHours);
const INCIDENT_BUCKETS = Number(o.incidentBuckets);
const PARTITIONS = Number(o.partitions);
const BUCKETS = Math.ceil(HISTORY_HOURS * 12) + INCIDENT_BUCKETS;
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const id = randomUUID().slice(0, 8);
const base = loadConfig();
const logger = createLogger('bench', { level: 'warn' });
const eventsTopic = { ...base.topics.events, name: `bench.${base.topics.events.name}.scale-${id}`, partitions: PARTITIONS };
/** A run's config: the shared events topic, its own output topics and Redis prefix. */
function runConfig(run: string): WardenConfig {
  const topics = Object.fromEntries(Object.entries(base.topics).map(([k, t]) => [k, k === 'events' ? eventsTopic : { ...t, name: `bench.${t.name}.scale-${id}-${run}`, partitions: 3 }])) as WardenConfig['topics'];
  return { ...base, topics, redis: { ...base.redis, keyPrefix: `warden-bench:scale-out-${run}-${id}:` } };
}
const single = runConfig('single');
const pair = runConfig('pair');
const kafka = createKafka(single, logger, 'bench-scale-out');
const admin = kafka.admin();
await admin.connect();
async function cleanup(): Promise<number> {
  await admin.deleteGroups([`bench-scale-${id}-single`, `bench-scale-${id}-pair`]).catch(() => undefined);
  await admin.deleteTopics({ topics: [...new Set([...Object.values(single.topics), ...Object.values(pair.topics)].map((t) => t.name))] }).catch(() => undefined);
  return (await deleteKeysWithPrefix(single, single.redis.keyPrefix)) + (await deleteKeysWithPrefix(pair, pair.redis.keyPrefix));
}
// On a crash, still remove what this run created before exiting.
for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(ev, (err) => {
    log(`failed: ${(err as Error)?.stack ?? String(err)}`);
    void cleanup().catch(() => undefined).finally(() => process.exit(1));
  });
}
await ensureTopics(admin, single);

// Pre-produce the scenario once.
const { events, agentIds } = incidentFleet(AGENTS, BUCKETS, INCIDENT_BUCKETS);
const keys = keyringData(agentIds);
const keyring = new Keyring(keys);
{
  const t0 = performance.now();
  const publisher = new FleetPublisher(kafka, single, keyring);
  await publisher.connect();
  await publisher.publish(events, 5000);
  await publisher.disconnect();
  log(`pre-produced ${fmt(events.length)} events (${AGENTS} agents, ${BUCKETS} buckets, incidents in the last ${INCIDENT_BUCKETS}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const ends = new Map((await admin.fetchTopicOffsets(eventsTopic.name)).map((p) => [p.partition, BigInt(p.high)]));

interface Instance { name: string; service: DetectorService; partitions: Map<number, number>; alerts: Map<string, Alert>; firstBatchAt: number; lastBatchAt: number; processed: number; skipped: number; droppedMoved: number }
interface RunResult { instances: Instance[]; seconds: number; busySeconds: number; machineCores: number; ownCores: number; lastOwner: Map<number, string> }

async function metricBy(service: DetectorService, name: string, label: string, value: string): Promise<number> {
  const m = await service.registry.getSingleMetric(name)?.get();
  return m?.values.filter((v) => v.labels[label] === value).reduce((s, v) => s + v.value, 0) ?? 0;
}
const eventsBy = (service: DetectorService, result: string) => metricBy(service, 'warden_detector_events_total', 'result', result);

/** Starts `count` detectors in one group and waits until Redis says every record of every partition is covered. */
async function run(config: WardenConfig, count: number, label: string): Promise<RunResult> {
  const groupId = `bench-scale-${id}-${label}`;
  const instances: Instance[] = [];
  const lastOwner = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const inst: Instance = { name: `${label}#${i + 1}`, service: null as unknown as DetectorService, partitions: new Map(), alerts: new Map(), firstBatchAt: 0, lastBatchAt: 0, processed: 0, skipped: 0, droppedMoved: 0 };
    inst.service = new DetectorService({
      config, logger, keyring, engine: createDetectionEngine(), groupId,
      onBatchDone: ({ partition, alerts }) => {
        const now = performance.now();
        if (!inst.firstBatchAt) inst.firstBatchAt = now;
        inst.lastBatchAt = now;
        inst.partitions.set(partition, (inst.partitions.get(partition) ?? 0) + 1);
        lastOwner.set(partition, inst.name);
        for (const a of alerts) if (!inst.alerts.has(a.alertId)) inst.alerts.set(a.alertId, a);
      },
    });
    instances.push(inst);
  }
  // Register the schemas first, as a deployment whose subjects exist already: two instances registering a new
  // subject at the same moment can fail (the client reads the subject's compatibility between the other's
  // register and its config update, and gets NONE).
  await registerSchemas(createRegistry(config), config);
  const redis = createRedis(config);
  const store = new StateStore(redis, groupId);
  const ticks = cpuTicks();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (count > 1 && SECOND_AFTER > 0) {
    // A member joining mid-stream: the first owns every partition and has progress (some of it not yet
    // checkpointed) when the rebalance moves part of them to the second.
    await instances[0]!.service.start();
    const handled = async () => (await eventsBy(instances[0]!.service, 'processed')) + (await eventsBy(instances[0]!.service, 'dlq'));
    while ((await handled()) < SECOND_AFTER * events.length) await sleep(20);
    await Promise.all(instances.slice(1).map((i) => i.service.start()));
  } else {
    await Promise.all(instances.map((i) => i.service.start()));
  }
  let last = '';
  for (;;) {
    let covered = 0n;
    let done = true;
    for (const [p, high] of ends) {
      const c = (await store.processedOffset(eventsTopic.name, p)) + 1n;
      covered += c < high ? c : high;
      if (c < high) done = false;
    }
    if (done) break;
    const line = `${label}: ${fmt(Number(covered))} / ${fmt(events.length)} records covered by checkpoints`;
    if (line !== last && Math.round(performance.now() - t0) % 5000 < 250) log(line);
    last = line;
    if (performance.now() - t0 > 600_000) throw new Error(`${label}: not done after 600 s`);
    await sleep(200);
  }
  const seconds = (performance.now() - t0) / 1000;
  const machineCores = busyCores(ticks, cpuTicks());
  const cpu = process.cpuUsage(cpu0);
  const ownCores = (cpu.user + cpu.system) / 1e6 / seconds;
  const busySeconds = (Math.max(...instances.map((i) => i.lastBatchAt)) - Math.min(...instances.filter((i) => i.firstBatchAt).map((i) => i.firstBatchAt))) / 1000;
  for (const i of instances) {
    i.processed = (await eventsBy(i.service, 'processed')) + (await eventsBy(i.service, 'dlq'));
    i.skipped = await eventsBy(i.service, 'skipped-duplicate');
    // Processed but not checkpointed when its partition moved away at a rebalance: the new owner processes it again.
    i.droppedMoved = await metricBy(i.service, 'warden_detector_dropped_progress_events_total', 'cause', 'moved');
  }
  await Promise.all(instances.map((i) => i.service.stop()));
  await redis.quit();
  log(`${label}: done in ${seconds.toFixed(1)} s (${instances.map((i) => `${i.name}: ${i.partitions.size} partitions, ${i.alerts.size} alert ids`).join('; ')})`);
  return { instances, seconds, busySeconds, machineCores, ownCores, lastOwner };
}

const one = await run(single, 1, 'single');
const two = await run(pair, 2, 'pair');

// What the topics hold (a redelivery may write an id twice; ids are what count).
async function topicIds(config: WardenConfig): Promise<Set<string>> {
  const size = (await admin.fetchTopicOffsets(config.topics.alerts.name)).reduce((s, p) => s + Number(p.high), 0);
  return new Set((await readAlerts(config, size, 120_000)).map((a) => a.alertId));
}
const singleTopic = await topicIds(single);
const pairTopic = await topicIds(pair);

// Clean up what this run created.
const deleted = await cleanup();
await admin.disconnect();
log(`cleaned up: topics, consumer groups and ${deleted} Redis keys of this run`);

const singleAlerts = one.instances[0]!.alerts;
const union = new Map<string, Alert>();
for (const i of two.instances) for (const [k, a] of i.alerts) union.set(k, a);
const describe = (a: Alert) => `${a.agentId} ${a.ruleId} (baseline: ${a.evidence.baselineSource}) at ${new Date(a.firstSeen).toISOString()}`;
const missing = [...singleAlerts.values()].filter((a) => !union.has(a.alertId));
const extra = [...union.values()].filter((a) => !singleAlerts.has(a.alertId));
const same = missing.length === 0 && extra.length === 0;
// Forged and unsigned events are counted in windows of the detector's clock (their own timestamps are not to be
// trusted), so two runs at different minutes may place them in different windows: other ids, same findings.
const clockOnly = !same && [...missing, ...extra].every((a) => a.tags.includes('warden:unverified'));
for (const a of missing) log(`only the single instance: ${describe(a)}`);
for (const a of extra) log(`only the pair: ${describe(a)}`);
const both = two.instances.map((i) => new Set(i.partitions.keys()));
const moved = [...both[0]!].filter((p) => both[1]!.has(p));
const eq = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
const topicsAgree = eq(singleTopic, new Set(singleAlerts.keys())) && eq(pairTopic, new Set(union.keys()));
const byRule = new Map<string, number>();
const bySource = new Map<string, number>();
for (const a of singleAlerts.values()) {
  byRule.set(a.ruleId, (byRule.get(a.ruleId) ?? 0) + 1);
  bySource.set(a.evidence.baselineSource, (bySource.get(a.evidence.baselineSource) ?? 0) + 1);
}
const list = (ps: number[]) => (ps.length ? ps.sort((a, b) => a - b).join(', ') : 'none');
const processedBy = (i: Instance) => list([...i.partitions.keys()]);
const finalOf = (r: RunResult, i: Instance) => list([...r.lastOwner].filter(([, n]) => n === i.name).map(([p]) => p));
const twice = two.instances.reduce((s, i) => s + i.processed, 0) - events.length;
const droppedMoved = two.instances.reduce((s, i) => s + i.droppedMoved, 0);
const finalSplit = two.instances.map((i) => [...two.lastOwner].filter(([, n]) => n === i.name).length);

const rows = [
  `| single: 1 instance | ${processedBy(one.instances[0]!)} | ${finalOf(one, one.instances[0]!)} | ${fmt(one.instances[0]!.processed)} | ${fmt(singleAlerts.size)} | ${fmt(events.length / one.seconds)} | ${fmt(events.length / one.busySeconds)} | ${fmt(one.machineCores, 2)} / ${fmt(one.ownCores, 2)} |`,
  ...two.instances.map((i) => `| pair: ${i.name} | ${processedBy(i)} | ${finalOf(two, i)} | ${fmt(i.processed)}${i.skipped ? ` (+${fmt(i.skipped)} skipped as covered)` : ''} | ${fmt(i.alerts.size)} | | | |`),
  `| pair: union | ${fmt(new Set(two.instances.flatMap((i) => [...i.partitions.keys()])).size)} partitions | ${fmt(two.lastOwner.size)} partitions | ${fmt(two.instances.reduce((s, i) => s + i.processed, 0))} | ${fmt(union.size)} | ${fmt(events.length / two.seconds)} | ${fmt(events.length / two.busySeconds)} | ${fmt(two.machineCores, 2)} / ${fmt(two.ownCores, 2)} |`,
];
const cmd = `npx tsx bench/scale-out.ts --agents ${AGENTS} --history-hours ${HISTORY_HOURS} --incident-buckets ${INCIDENT_BUCKETS} --partitions ${PARTITIONS} --second-after ${SECOND_AFTER}`;
const table = `## Scale-out: 1 vs 2 detector instances (bench/scale-out.ts)

\`${cmd}\` — one pre-produced ${PARTITIONS}-partition topic of ${fmt(events.length)} signed events (test/support/scenario.ts \`incidentFleet\`: ${AGENTS} agents, ${BUCKETS} five-minute buckets, ${HISTORY_HOURS} h of steady traffic before incidents in the last ${INCIDENT_BUCKETS} buckets: spikes, injection markers, forged signatures). Read from the start by one detector alone (its own group, alerts topic and Redis prefix), then by two detector instances in one group (another group, alerts topic and prefix), in this process, each with its own engine${SECOND_AFTER > 0 ? `; the second starts once the first has handled ${Math.round(SECOND_AFTER * 100)}% of the events, so it joins mid-stream` : ''}. Done = every partition's covered offset in Redis (written by checkpoints) reaches the end of the topic. Local single-node Kafka and Redis on the same ${cpus().length} cores: this shows the split is correct, not that it is faster. Cores busy: the whole machine (from /proc/stat: Kafka, Redis, the registry and anything else running meanwhile) and this process (the detectors) during each run.

| run | partitions it processed batches of | partitions it finished (last batch) | events processed | alert ids | events/s from start() | events/s first → last batch | cores busy: machine / this process |
| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Union of the pair's alert ids ${same ? '**equals**' : '**differs from**'} the single instance's (${fmt(union.size)} vs ${fmt(singleAlerts.size)} ids${same ? '' : `; only single: ${missing.length}, only pair: ${extra.length}`}).${same ? '' : ` Differences: ${[...missing.map((a) => `only single: ${describe(a)}`), ...extra.map((a) => `only pair: ${describe(a)}`)].join('; ')}.`}${clockOnly ? ' Every difference is an alert on unverified (forged) events: those are windowed by the detector\'s wall clock, not by the events\' timestamps, so the single run and the pair, minutes apart, can place them in different windows (different ids for the same findings); every alert judged on event time is the same.' : ''} Both instances owned partitions: ${finalSplit.every((n) => n > 0) ? 'yes' : '**no**'} (at the end ${two.instances.map((i, k) => `${i.name} ${finalSplit[k]}`).join(', ')} of ${PARTITIONS}${moved.length ? `; partitions ${list(moved)} were processed by both: the instance that joined first took every partition, and these moved at the rebalance when the other joined` : ''}). Events processed more than once across the pair: ${fmt(twice)}; the progress the moved partitions had made since their last checkpoint when they moved (\`warden_detector_dropped_progress_events_total{cause="moved"}\`): ${fmt(droppedMoved)}, so processed twice ${twice <= droppedMoved ? '≤' : '**>**'} that bound (partitions an instance kept continue from its in-process progress; only moved ones are re-read from their checkpoint). The alerts topics hold the same ids as reported by the instances: ${topicsAgree ? 'yes' : '**no**'}. Alerts by rule (single): ${[...byRule].map(([k, v]) => `${k} ${v}`).join(', ')}; by baseline source: ${[...bySource].map(([k, v]) => `${k} ${v}`).join(', ')} (\`peer\` would mark alerts that may legitimately differ). "From start()" includes joining the group (and, for the pair, the rebalance when the second member joins).`;
writeSection('scale-out', table);
console.log(table);
process.exit(0);
