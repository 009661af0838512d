/**
 * The SIEM forwarder on the real stack: OCSF records on siem.alerts, a real
 * rsyslog receiving CEF over RFC 5424/TCP, and HEC and _bulk against a strict
 * protocol fake that answers 429/503 first. Redaction holds on every path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toEcs } from '../../shared/siem/index.js';
import { SiemForwarder } from '../../services/siem-forwarder/service.js';
import { sinksFromConfig } from '../../services/siem-forwarder/sinks/registry.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { alert, publishAlerts } from '../support/alerts.js';
import { readTopic } from '../support/detector.js';
import { startFakeSiem, type FakeSiem } from '../support/fakeSiem.js';
import { startRsyslog, type Rsyslog } from '../support/rsyslog.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const HEC_TOKEN = 'hec-token-0123456789abcdef';

describe('SIEM forwarder on the real stack', () => {
  let rsyslog: Rsyslog;
  let fake: FakeSiem;
  let forwarder: SiemForwarder;
  let config: WardenConfig;

  beforeAll(async () => {
    rsyslog = await startRsyslog();
    fake = await startFakeSiem({ hecToken: HEC_TOKEN });
    const base = isolatedConfig('siem');
    config = {
      ...base,
      siem: {
        redactions: [{ kind: 'ticket', pattern: 'TICKET-\\d+' }],
        // Severity floors per sink (Falcosidekick's minimumpriority): HEC and syslog from MEDIUM, _bulk everything.
        splunkHec: { url: fake.url, token: HEC_TOKEN, sourcetype: 'agent-warden:ocsf', timeoutMs: 5000, minSeverity: 'MEDIUM' },
        elasticBulk: { url: fake.url, index: 'agent-warden-alerts', timeoutMs: 5000, minSeverity: 'INFO' },
        syslog: { host: '127.0.0.1', port: rsyslog.port, tls: false, facility: 10, hostname: 'warden-test', minSeverity: 'HIGH' },
      },
    };
    await provisionTopics(config);
    forwarder = new SiemForwarder({ config, logger: testLogger, sinks: sinksFromConfig(config.siem), maxBackoffMs: 200 });
    await forwarder.start();
  });
  afterAll(async () => {
    await forwarder?.stop();
    await fake?.close();
    await rsyslog?.stop();
  });

  it('delivers every alert to siem.alerts, rsyslog, HEC (after 429 and 503) and _bulk (after 429), redacted', async () => {
    fake.failFirst.hec.push(429, 503);
    fake.failFirst.bulk.push(429);
    const alerts = [
      alert('siem-a', { severity: 'CRITICAL', title: 'Exfiltration by siem-a', description: 'Mailed 4111 1111 1111 1111 to eve@example.com about TICKET-4242' }),
      alert('siem-b', { severity: 'MEDIUM', title: 'Off-hours | activity', description: 'Used Bearer abcdefghijklmnopqrstuvwx at 03:00' }),
    ];
    await publishAlerts(config, alerts);

    const records = await readTopic(config, config.topics.siem.name, 2);
    const ocsf = records.map((r) => JSON.parse(r.value!.toString()));
    expect(ocsf.map((o) => o.class_uid)).toEqual([2004, 2004]);
    expect(new Set(ocsf.map((o) => o.finding_info.uid))).toEqual(new Set(alerts.map((a) => a.alertId)));

    await eventually(() => fake.hecEvents.length >= 2 && fake.bulkDocs.size >= 2, 15_000, 'HEC and _bulk deliveries');
    // The two alerts may sit on different partitions (two batches): the refusals come first, then only successes.
    const hec = fake.requests.filter((r) => r.path === '/services/collector/event').map((r) => r.status);
    expect(hec.slice(0, 3)).toEqual([429, 503, 200]);
    expect(hec.slice(3).every((s) => s === 200)).toBe(true);
    const bulk = fake.requests.filter((r) => r.path === '/_bulk').map((r) => r.status);
    expect(bulk.slice(0, 2)).toEqual([429, 200]);
    expect(bulk.slice(2).every((s) => s === 200)).toBe(true);
    expect(fake.violations).toEqual([]);
    expect(new Set(fake.hecEvents.map((e) => e.event.metadata.uid))).toEqual(new Set(alerts.map((a) => a.alertId)));
    expect(fake.bulkDocs.get(alerts[0]!.alertId)).toMatchObject({ event: { kind: 'alert' }, rule: { id: 'rate-spike.agent' } });

    const lines = await eventually(() => (rsyslog.lines().some((l) => l.includes(alerts[0]!.alertId)) ? rsyslog.lines() : undefined), 10_000, 'rsyslog to write the CRITICAL alert');
    const line = lines.find((l) => l.includes(alerts[0]!.alertId))!;
    // rsyslog's %rawmsg% is the RFC 5424 message after the octet count: PRI = authpriv(10) * 8 + critical(2).
    expect(line).toMatch(/^<82>1 \S+Z warden-test agent-warden - ALERT - CEF:0\|Agent Warden\|Agent Warden\|0\.1\.0\|rate-spike\.agent\|Exfiltration by siem-a\|10\|/);

    expect(lines.find((l) => l.includes(alerts[1]!.alertId))).toBeUndefined(); // MEDIUM is below syslog's HIGH floor
    const everything = JSON.stringify([ocsf, fake.hecEvents, [...fake.bulkDocs.values()], lines]);
    for (const secret of ['4111 1111 1111 1111', 'eve@example.com', 'abcdefghijklmnopqrstuvwx', 'TICKET-4242']) expect(everything).not.toContain(secret);
    expect(everything).toContain('[redacted:card]');
    expect(everything).toContain('[redacted:ticket]');
  });

  it('gives each sink only the alerts at or above its minSeverity, counts the skipped ones, and writes all to siem.alerts', async () => {
    const skipped = async (sink: string) => (await forwarder.registry.getSingleMetric('warden_siem_sink_skipped_total')!.get()).values.find((v) => v.labels.sink === sink)?.value ?? 0;
    const toTopic = async () => (await forwarder.registry.getSingleMetric('warden_siem_records_total')!.get()).values.find((v) => v.labels.kind === 'alert')?.value ?? 0;
    const before = { hec: await skipped('splunk-hec'), bulk: await skipped('elastic-bulk'), syslog: await skipped('syslog'), topic: await toTopic() };
    const bySeverity = (['INFO', 'LOW', 'MEDIUM', 'HIGH'] as const).map((severity) => alert('siem-floor', { severity, title: `floor ${severity}` }));
    const ids = bySeverity.map((a) => a.alertId);
    await publishAlerts(config, bySeverity);

    await eventually(() => ids.every((id) => fake.bulkDocs.has(id)), 15_000, '_bulk to get all four');
    await eventually(() => rsyslog.lines().some((l) => l.includes(ids[3]!)), 10_000, 'syslog to get the HIGH alert');
    await eventually(() => fake.hecEvents.some((e) => e.event.metadata.uid === ids[3]), 10_000, 'HEC to get the HIGH alert');

    const hecIds = fake.hecEvents.map((e) => e.event.metadata.uid);
    expect(ids.filter((id) => hecIds.includes(id))).toEqual([ids[2], ids[3]]); // MEDIUM and HIGH
    expect(ids.filter((id) => rsyslog.lines().some((l) => l.includes(id)))).toEqual([ids[3]]); // HIGH only
    expect({ hec: await skipped('splunk-hec'), bulk: await skipped('elastic-bulk'), syslog: await skipped('syslog') }).toEqual({ hec: before.hec + 2, bulk: before.bulk, syslog: before.syslog + 3 });
    expect(await toTopic()).toBe(before.topic + 4); // siem.alerts has no floor
    expect(fake.violations).toEqual([]);
  });

  it('is idempotent on redelivery into _bulk, keeps an incident\'s latest state, and dead-letters a permanent refusal', async () => {
    const again = alert('siem-c');
    const escalated = { ...again, severity: 'CRITICAL' as const, count: again.count + 2 };
    // A redelivery, the escalated update, then a stale copy arriving late: the SIEM must end on the update.
    await publishAlerts(config, [again, again, escalated, again]);
    await eventually(() => fake.bulkVersions.get(again.alertId) === escalated.count && fake.requests.filter((r) => r.path === '/_bulk').length >= 3, 10_000, 'bulk delivery');
    expect([...fake.bulkDocs.keys()].filter((k) => k === again.alertId)).toHaveLength(1);
    expect(fake.bulkDocs.get(again.alertId)).toMatchObject({ event: { id: again.alertId } });
    expect(fake.bulkDocs.get(again.alertId)!.event.severity).toBe((toEcs(escalated) as { event: { severity: number } }).event.severity);
    expect(fake.violations).toEqual([]);

    // A 400 from HEC is permanent: the alert goes to the DLQ with the sink's reason, and the batch moves on.
    fake.failFirst.hec.push(400);
    const refused = alert('siem-d');
    await publishAlerts(config, [refused]);
    const dlq = await readTopic(config, config.topics.dlq.name, 1, 15_000);
    expect(dlq[0]?.headers?.['warden-dlq-reason']?.toString()).toBe('sink.splunk-hec.rejected');
    expect(dlq[0]?.headers?.['warden-dlq-detail']?.toString()).toMatch(/^splunk-hec 400/);
  });
});
