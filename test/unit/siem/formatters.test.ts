import { describe, expect, it } from 'vitest';
import { bulkBody } from '../../../services/siem-forwarder/sinks/elasticBulk.js';
import { hecBody } from '../../../services/siem-forwarder/sinks/splunkHec.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { cefHeader, cefValue, commandToOcsf, octetFrame, redact, redactAlert, toCef, toEcs, toOcsf, toSyslog5424 } from '../../../shared/siem/index.js';

const alert: Alert = {
  alertId: '0123456789abcdef0123456789abcdef', agentId: 'support-7', agentRole: 'support', tenantId: 'acme', detector: 'volume-spike', ruleId: 'volume-spike.bytes-out',
  title: 'Bytes out 40x the baseline', description: 'Sent 40 MB to files.example.net', severity: 'HIGH', score: 88, firstSeen: 1_763_000_000_000, lastSeen: 1_763_000_300_000, count: 3,
  evidence: { metric: 'bytesOut per bucket', observed: 40_000_000, baselineMean: 1_000_000, baselineStd: 200_000, baselineMedian: 950_000, baselineMad: 100_000, sampleSize: 24, baselineSource: 'agent', windowStart: 1_763_000_000_000, windowEnd: 1_763_000_300_000, relatedEventIds: ['e1', 'e2'], details: { target: 'files.example.net' } },
  tags: ['owasp-llm:LLM02', 'atlas:AML.T0025', 'mitre:T1041'],
};

describe('OCSF 1.5 Detection Finding', () => {
  const o = toOcsf(alert) as Record<string, any>;
  it.each([
    ['class_uid', 2004], ['category_uid', 2], ['activity_id', 1], ['type_uid', 200401], ['severity_id', 4], ['severity', 'High'],
    ['time', alert.lastSeen], ['status_id', 1], ['confidence_score', 88], ['message', alert.title],
  ])('%s = %j', (field, value) => expect(o[field]).toEqual(value));

  it('metadata names the version, the product and the alert id', () => {
    expect(o.metadata).toMatchObject({ version: '1.5.0', product: { name: 'Agent Warden' }, uid: alert.alertId });
  });

  it('finding_info carries the rule as analytic, the times, related events and attacks', () => {
    expect(o.finding_info).toMatchObject({
      uid: alert.alertId, title: alert.title, desc: alert.description, first_seen_time: alert.firstSeen, last_seen_time: alert.lastSeen,
      analytic: { uid: 'volume-spike.bytes-out', type_id: 1, type: 'Rule' }, related_events: [{ uid: 'e1' }, { uid: 'e2' }],
    });
    expect(o.finding_info.attacks.map((a: any) => a.technique.uid)).toEqual(['AML.T0025', 'T1041']);
    expect(o.finding_info.types).toContain('OWASP LLM Top 10 2025 LLM02');
  });

  it('anomaly_analyses holds the observation against the baseline', () => {
    const an = o.anomaly_analyses[0];
    expect(an.analysis_targets).toEqual([{ name: 'support-7', type: 'AI Agent' }]);
    expect(an.anomalies[0]).toMatchObject({ observation_parameter: 'bytesOut per bucket', observations: [{ value: '40000000' }] });
    const base = Object.fromEntries(an.baselines[0].observations.map((x: any) => [x.parameter.split(':')[1], x.value]));
    expect(base).toEqual({ mean: '1000000', std: '200000', median: '950000', mad: '100000', sample_size: '24' });
  });

  it.each([['INFO', 1], ['LOW', 2], ['MEDIUM', 3], ['HIGH', 4], ['CRITICAL', 5]] as const)('severity %s -> severity_id %i', (s, id) => {
    expect((toOcsf({ ...alert, severity: s }) as any).severity_id).toBe(id);
  });

  it('an isolation command is an Update of the finding with a remediation', () => {
    const c = commandToOcsf({ commandId: 'c1', agentId: 'support-7', type: 'THROTTLE', revokedCapabilities: ['net.egress'], reason: 'r', alertIds: [alert.alertId], issuedBy: 'policy:x', issuedAt: 5, expiresAt: null }) as any;
    expect(c).toMatchObject({ class_uid: 2004, activity_id: 2, type_uid: 200402, status_id: 2, finding_info: { uid: alert.alertId } });
    expect(c.remediation.desc).toContain('THROTTLE');
  });
});

describe('ECS', () => {
  it('is an alert event with rule and threat fields', () => {
    const e = toEcs(alert) as any;
    expect(e).toMatchObject({ '@timestamp': new Date(alert.lastSeen).toISOString(), event: { kind: 'alert', id: alert.alertId, severity: 73, risk_score: 88 }, rule: { id: alert.ruleId }, threat: { technique: { id: ['AML.T0025', 'T1041'] } } });
  });
});

describe('CEF and syslog', () => {
  it('escapes header fields (backslash, pipe) and extension values (backslash, equals, newlines)', () => {
    expect(cefHeader('a|b\\c')).toBe('a\\|b\\\\c');
    expect(cefValue('x=1\\y\nz\r')).toBe('x\\=1\\\\y\\nz\\r');
  });

  it('builds CEF:0 with 7 header fields and the CEF severity', () => {
    const cef = toCef({ ...alert, title: 'pipe | in title' });
    const header = cef.split(/(?<!\\)\|/);
    expect(header.slice(0, 7)).toEqual(['CEF:0', 'Agent Warden', 'Agent Warden', '0.1.0', 'volume-spike.bytes-out', 'pipe \\| in title', '8']);
    expect(cef).toContain(`externalId=${alert.alertId}`);
    expect(cef).toContain('suser=support-7');
    expect(cef).toContain(`rt=${alert.lastSeen}`);
    expect(cef).toContain('cs4=median\\=950000 mean\\=1000000 n\\=24 (agent)');
  });

  it('frames RFC 5424 with PRI = facility * 8 + severity', () => {
    const line = toSyslog5424('CEF:0|x', 3, Date.UTC(2026, 0, 2, 3, 4, 5, 6), { facility: 10, hostname: 'host one', msgId: 'ALERT' });
    expect(line).toBe('<83>1 2026-01-02T03:04:05.006Z host_one agent-warden - ALERT - CEF:0|x');
  });

  it('counts octets in bytes for TCP framing', () => {
    expect(octetFrame('héllo')).toBe('6 héllo');
  });
});

describe('redaction', () => {
  it.each([
    ['email', 'mail jane.doe+x@example.co.uk now', 'mail [redacted:email] now'],
    ['card', 'card 4111 1111 1111 1111 used', 'card [redacted:card] used'],
    ['phone', 'call +44 20 7946 0958 today', 'call [redacted:phone] today'],
    ['api key (OpenAI-style)', 'key sk-proj-abcdefghijklmnopqrstuvwx leaked', 'key [redacted:api-key] leaked'],
    ['api key (AWS)', 'AKIAIOSFODNN7EXAMPLE', '[redacted:api-key]'],
    ['api key (GitHub)', 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'token [redacted:api-key]'],
    ['key=value secret', 'password=hunter2hunter2', '[redacted:api-key]'],
    ['bearer token', 'Authorization: Bearer eyJhbGciOi.payload.sig', 'Authorization: [redacted:bearer-token]'],
  ])('removes %s', (_k, input, want) => expect(redact(input)).toBe(want));

  it('keeps ordinary text, numbers that are not cards, and ids', () => {
    const text = 'Sent 40 MB in 12 requests to files.example.net; order 1234567890123 (not Luhn-valid)';
    expect(redact(text)).toBe(text);
  });

  it('applies to every free-text field of an alert and nothing leaves unredacted', () => {
    const dirty = { ...alert, title: 'Mail to bob@example.com', description: 'card 4111-1111-1111-1111', evidence: { ...alert.evidence, details: { text: 'Bearer abcdefghijklmnop' } } };
    const clean = redactAlert(dirty);
    const out = JSON.stringify([toOcsf(clean), toEcs(clean), toCef(clean)]);
    for (const secret of ['bob@example.com', '4111-1111-1111-1111', 'abcdefghijklmnop']) expect(out).not.toContain(secret);
    expect(clean.alertId).toBe(alert.alertId);
  });
});

describe('sink request bodies', () => {
  it('HEC: one JSON event per line with time in seconds', () => {
    const lines = hecBody([{ alert, ocsf: { a: 1 } }, { alert: { ...alert, alertId: 'x' }, ocsf: { a: 2 } }], { sourcetype: 'agent-warden:ocsf', index: 'sec' }).split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { time: alert.lastSeen / 1000, host: 'agent-warden', source: 'agent-warden', sourcetype: 'agent-warden:ocsf', index: 'sec', event: { a: 1 } },
      { time: alert.lastSeen / 1000, host: 'agent-warden', source: 'agent-warden', sourcetype: 'agent-warden:ocsf', index: 'sec', event: { a: 2 } },
    ]);
  });

  it('_bulk: index actions keyed by alert id, versioned by its count, NDJSON ending in a newline', () => {
    const body = bulkBody([{ alert, ocsf: {} }], 'alerts');
    expect(body.endsWith('\n')).toBe(true);
    const [action, doc] = body.trim().split('\n').map((l) => JSON.parse(l));
    expect(action).toEqual({ index: { _index: 'alerts', _id: alert.alertId, version: alert.count, version_type: 'external' } });
    expect(doc.event.kind).toBe('alert');
  });
});
