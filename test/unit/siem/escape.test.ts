import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/schemas/generated.js';
import { TRUNCATION_MARKER, cefExtensionValue, cefHeaderField, syslogTimestamp, toCef, toSyslog5424 } from '../../../shared/siem/index.js';

describe('CEF escaping of characters the spec has no escape for', () => {
  it.each([
    ['NUL', 'a\0b', 'a\\\\u0000b', 'a\\\\u0000b'],
    ['ESC (terminal sequences)', '\x1b[31m', '\\\\u001B[31m', '\\\\u001B[31m'],
    ['TAB', 'a\tb', 'a\\\\u0009b', 'a\\\\u0009b'],
    ['DEL', '\x7f', '\\\\u007F', '\\\\u007F'],
    ['NEL (C1 line break)', 'a\u0085b', 'a\\\\u0085b', 'a\\\\u0085b'],
    ['CSI (C1)', '\u009b', '\\\\u009B', '\\\\u009B'],
    ['line separator', 'a\u2028b', 'a\\\\u2028b', 'a\\\\u2028b'],
    ['paragraph separator', 'a\u2029b', 'a\\\\u2029b', 'a\\\\u2029b'],
    ['right-to-left override', 'exe\u202Etxt', 'exe\\\\u202Etxt', 'exe\\\\u202Etxt'],
    ['lone surrogate', 'a\ud800b', 'a\\\\uD800b', 'a\\\\uD800b'],
    ['CR and LF', 'a\r\nb\rc\nd', 'a\\\\u000D\\\\u000Ab\\\\u000Dc\\\\u000Ad', 'a\\nb\\rc\\nd'],
  ])('%s', (_k, input, header, value) => {
    expect(cefHeaderField(input, 512)).toBe(header);
    expect(cefExtensionValue(input, 1024)).toBe(value);
  });

  it('keeps the spec escapes: header \\ and |, extension \\ and =', () => {
    expect(cefHeaderField('a|b\\c=d', 512)).toBe('a\\|b\\\\c=d');
    expect(cefExtensionValue('a|b\\c=d', 512)).toBe('a|b\\\\c\\=d');
  });

  it('leaves ordinary non-ASCII text alone (accents, CJK, emoji)', () => {
    for (const s of ['café', '東京', 'ok 👍🏽']) {
      expect(cefHeaderField(s, 512)).toBe(s);
      expect(cefExtensionValue(s, 512)).toBe(s);
    }
  });

  it('caps in bytes with a marker, never cutting an escape or a surrogate pair', () => {
    const capped = cefExtensionValue('x'.repeat(80) + '='.repeat(20), 100);
    expect(capped.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(100);
    // The part before the marker is whole escapes: an even run of backslash-escapes, no dangling backslash.
    expect(capped.slice(0, -TRUNCATION_MARKER.length)).toMatch(/^x{80}(?:\\=){3}$/);
    const emoji = cefHeaderField('👍'.repeat(100), 64);
    expect(emoji).toMatch(new RegExp(`^(?:👍)+${TRUNCATION_MARKER.replace(/[[\]]/g, '\\$&')}$`, 'u'));
    const nul = cefHeaderField('\0'.repeat(100), 64);
    expect(nul.slice(0, -TRUNCATION_MARKER.length)).toMatch(/^(?:\\\\u0000)+$/);
  });
});

describe('CEF record', () => {
  const alert: Alert = {
    alertId: 'a1', agentId: 'bot\u2028-1', agentRole: 'r', tenantId: 't', detector: 'd', ruleId: 'rule|x', title: 'T\n2', description: 'd', severity: 'LOW', score: 1, firstSeen: 1, lastSeen: 2, count: 1,
    evidence: { metric: 'm', observed: 1, baselineMean: null, baselineStd: null, baselineMedian: null, baselineMad: null, sampleSize: 0, baselineSource: 'agent', windowStart: 0, windowEnd: 1, relatedEventIds: [], details: { 'tar=get': 'a\u0085b' } },
    tags: [],
  };

  it('escapes agent-controlled strings in header and extension and carries the details as JSON', () => {
    const cef = toCef(alert);
    expect(cef.startsWith('CEF:0|Agent Warden|Agent Warden|0.1.0|rule\\|x|T\\\\u000A2|3|')).toBe(true);
    expect(cef).toContain('suser=bot\\\\u2028-1 ');
    expect(cef).toContain('cs6Label=details cs6={"tar\\=get":"a\\\\u0085b"}');
  });
});

describe('RFC 5424 header', () => {
  it.each([
    [Number.NaN, '-'], [Number.POSITIVE_INFINITY, '-'], [8.64e15 + 1, '-'], [253402300800000, '-'], [-62167219200001, '-'],
    [0, '1970-01-01T00:00:00.000Z'], [253402300799999, '9999-12-31T23:59:59.999Z'], [-62167219200000, '0000-01-01T00:00:00.000Z'],
  ])('timestamp %d -> %s', (t, want) => expect(syslogTimestamp(t)).toBe(want));

  it('keeps hostname, app-name, procid and msgid to PRINTUSASCII and their RFC lengths', () => {
    const line = toSyslog5424('M', 2, 0, { hostname: `h\0o\u2028st ${'x'.repeat(300)}`, appName: 'app\nname', procId: '1 2', msgId: 'A\u0085B' });
    const [, host, app, proc, msgId] = /^<\d+>1 \S+ (\S+) (\S+) (\S+) (\S+) - M$/.exec(line)!;
    expect(host).toMatch(/^h_o_st_x+$/);
    expect(host).toHaveLength(255);
    expect([app, proc, msgId]).toEqual(['app_name', '1_2', 'A_B']);
  });
});
