/**
 * Attack: an agent controls the strings of its events (agentId, role, tenant,
 * targets, text excerpts), and they reach the SIEM inside alerts. A control
 * character, NEL or a Unicode line/paragraph separator in any field must not
 * split one alert into two syslog lines, forge a second record, or break the
 * CEF header. Property: any strings in any alert field give exactly one
 * RFC 5424 line whose CEF header parses into 7 fields plus an extension that
 * parses back into the keys we wrote. Then one hostile alert through the real
 * sink to a real rsyslog.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyslogSink, syslogLine } from '../../services/siem-forwarder/sinks/syslog.js';
import type { Alert } from '../../shared/schemas/generated.js';
import { octetFrame, toOcsf } from '../../shared/siem/index.js';
import { alert as makeAlert } from '../support/alerts.js';
import { startRsyslog, type Rsyslog } from '../support/rsyslog.js';
import { eventually } from '../support/stack.js';

// Every C0 control, DEL, every C1 control (NEL is U+0085), and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex -- these are the characters under test
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
// What rsyslog writes for a control byte it received raw (its EscapeControlCharactersOnReceive default): #ooo.
const RSYSLOG_CONTROL_ESCAPE = /#[0-3][0-7][0-7]/;

/** CEF header: 7 fields separated by `|` not escaped by `\`; the rest is the extension. */
function parseCef(cef: string): { header: string[]; extension: string } {
  const header: string[] = [];
  let field = '';
  let i = 0;
  for (; i < cef.length && header.length < 7; i++) {
    const c = cef[i]!;
    if (c === '\\') {
      const next = cef[i + 1];
      if (next !== '\\' && next !== '|') throw new Error(`header: unknown escape \\${next} at ${i}`);
      field += next;
      i++;
    } else if (c === '|') {
      header.push(field);
      field = '';
    } else field += c;
  }
  if (header.length !== 7) throw new Error(`header: ${header.length} fields, expected 7`);
  return { header, extension: cef.slice(i) };
}

/** CEF extension: `key=value` pairs separated by spaces; `=` in a value is escaped, so each unescaped `=` ends a key. */
function parseExtension(ext: string): [string, string][] {
  const eqs: number[] = [];
  for (let i = 0; i < ext.length; i++) {
    if (ext[i] === '\\') i++;
    else if (ext[i] === '=') eqs.push(i);
  }
  const starts = eqs.map((eq, j) => {
    const start = j === 0 ? 0 : ext.lastIndexOf(' ', eq) + 1;
    if (j > 0 && start <= eqs[j - 1]!) throw new Error(`extension: no space before the key ending at ${eq}`);
    return start;
  });
  return eqs.map((eq, j) => {
    const key = ext.slice(starts[j], eq);
    if (!/^[A-Za-z0-9]+$/.test(key)) throw new Error(`extension: bad key ${JSON.stringify(key)}`);
    const raw = ext.slice(eq + 1, j + 1 < eqs.length ? starts[j + 1]! - 1 : ext.length);
    return [key, decodeValue(raw)];
  });
}

function decodeValue(raw: string): string {
  return raw.replace(/\\(.)/gsu, (_m, c: string) => {
    const decoded = ({ '\\': '\\', '=': '=', n: '\n', r: '\r' } as Record<string, string>)[c];
    if (decoded === undefined) throw new Error(`extension: unknown escape \\${c}`);
    return decoded;
  });
}

const SYSLOG = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-) (CEF:0\|.*)$/su;

function checkFrame(a: Alert, hostname: string): { ext: Map<string, string>; header: string[] } {
  const line = syslogLine({ alert: a, ocsf: toOcsf(a) }, { facility: 10, hostname });
  const frame = octetFrame(line);
  const space = frame.indexOf(' ');
  expect(Number(frame.slice(0, space))).toBe(Buffer.byteLength(frame.slice(space + 1)));
  expect(FORBIDDEN.exec(line), 'a control or line-breaking character inside the frame').toBeNull();
  // rsyslog's default maximum message size; one alert must fit in one frame.
  expect(Buffer.byteLength(line)).toBeLessThanOrEqual(8192);
  const m = SYSLOG.exec(line);
  expect(m, `not an RFC 5424 line: ${JSON.stringify(line.slice(0, 200))}`).not.toBeNull();
  for (const part of m!.slice(3, 7)) expect(part).toMatch(/^[\x21-\x7e]{1,255}$/);
  const { header, extension } = parseCef(m![8]!);
  expect(header[0]).toBe('CEF:0');
  expect(header[6]).toMatch(/^(?:10|[0-9])$/);
  return { header, ext: new Map(parseExtension(extension)) };
}

// Strings built from what breaks formats: separators, escapes, every kind of control and line break, lone surrogates, and any code point.
const hostileChar = fc.oneof(
  fc.constantFrom('|', '=', '\\', ' ', '\r', '\n', '\r\n', '\0', '\t', '\x0b', '\x0c', '\x1b', '\x7f', '\x85', '\x9f', '\u2028', '\u2029', 'CEF:0|', ' cs1=', '<13>1 '),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
// Mostly short strings (they shrink to readable counterexamples), some long enough to hit every cap.
const hostile = fc.oneof({ weight: 4, arbitrary: fc.string({ unit: hostileChar, maxLength: 40 }) }, { weight: 1, arbitrary: fc.string({ unit: hostileChar, maxLength: 6000, size: 'max' }) });

const hostileAlert = fc.record({
  agentId: hostile, agentRole: hostile, tenantId: hostile, title: hostile, description: hostile, ruleId: hostile, detector: hostile, alertId: hostile, metric: hostile,
  details: fc.dictionary(hostile, hostile, { maxKeys: 4 }), tags: fc.array(hostile, { maxLength: 4 }), hostname: hostile,
});

const reference = makeAlert('reference-agent');
const referenceKeys = [...checkFrame(reference, 'warden-test').ext.keys()];

describe('CEF over RFC 5424 syslog with hostile strings in every field', () => {
  it('the keys written for an ordinary alert include the fields analysts need', () => {
    expect(referenceKeys).toEqual(expect.arrayContaining(['rt', 'externalId', 'cat', 'suser', 'msg', 'cs1', 'cs2', 'cs5']));
  });

  it('any strings in any alert field give one line with a 7-field CEF header and the same extension keys', () => {
    fc.assert(
      fc.property(hostileAlert, (h) => {
        const a: Alert = {
          ...reference, agentId: h.agentId, agentRole: h.agentRole, tenantId: h.tenantId, title: h.title, description: h.description, ruleId: h.ruleId, detector: h.detector, alertId: h.alertId, tags: h.tags,
          evidence: { ...reference.evidence, metric: h.metric, details: h.details },
        };
        const { ext } = checkFrame(a, h.hostname);
        expect([...ext.keys()]).toEqual(referenceKeys);
        // Nothing is lost or mangled when there was nothing to escape: ordinary text reads back exactly.
        if (!FORBIDDEN.test(h.agentId) && !/[\ud800-\udfff]/.test(h.agentId) && h.agentId.length <= 200) expect(ext.get('suser')).toBe(h.agentId);
      }),
      { numRuns: 300 },
    );
  });

  it('any timestamp gives a valid RFC 5424 TIMESTAMP or the NILVALUE, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 8.64e15 + 1, 253402300800000, Number.NaN)), (t) => {
        const line = syslogLine({ alert: { ...reference, lastSeen: t }, ocsf: {} }, { facility: 10, hostname: 'h' });
        const ts = SYSLOG.exec(line)?.[2];
        expect(ts === '-' || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(ts ?? ''), `timestamp ${ts}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a hostile agentId through the real syslog sink to a real rsyslog', () => {
  let rsyslog: Rsyslog;
  beforeAll(async () => {
    rsyslog = await startRsyslog();
  });
  afterAll(async () => {
    await rsyslog?.stop();
  });

  it('is received as exactly one line with a parseable CEF header', async () => {
    const forged = '<10>1 2026-01-01T00:00:00.000Z host agent-warden - ALERT - CEF:0|Agent Warden|Agent Warden|0.1.0|release|All clear|1|suser=billing-01';
    const agentId = `evil\0\x1b[2K\r\n${forged}\u0085${forged}\u2028${forged}\u2029|x=y\\`;
    const a = makeAlert(agentId, { agentRole: 'role\x07\x9b', tenantId: 'acme\u2028evil', title: 'Title \x00|\n injected', evidence: { ...makeAlert('x').evidence, details: { 'k\n=': 'v\u0085|' } } });
    const sink = createSyslogSink({ host: '127.0.0.1', port: rsyslog.port, tls: false, facility: 10, hostname: 'warden-test' });
    try {
      const result = await sink.send([{ alert: a, ocsf: toOcsf(a) }]);
      expect(result).toEqual({ delivered: [a.alertId], deadLettered: [], retry: [] });
      const lines = await eventually(() => (rsyslog.lines().some((l) => l.includes(a.alertId)) ? rsyslog.lines() : undefined), 10_000, 'rsyslog to write the alert');
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      expect(FORBIDDEN.exec(line), 'a raw line-breaking character in what rsyslog wrote').toBeNull();
      expect(RSYSLOG_CONTROL_ESCAPE.exec(line), 'rsyslog received a raw control byte').toBeNull();
      const m = SYSLOG.exec(line);
      expect(m).not.toBeNull();
      const { header, extension } = parseCef(m![8]!);
      expect(header.slice(0, 5)).toEqual(['CEF:0', 'Agent Warden', 'Agent Warden', '0.1.0', a.ruleId]);
      expect(header[6]).toBe('10');
      const ext = new Map(parseExtension(extension));
      expect([...ext.keys()]).toEqual(referenceKeys);
      // The forged record is only text inside the one value it came in.
      expect(ext.get('suser')).toContain('CEF:0|Agent Warden');
      expect(ext.get('externalId')).toBe(a.alertId);
    } finally {
      await sink.close?.();
    }
  });
});
