/**
 * CEF (ArcSight Common Event Format) messages and RFC 5424 syslog framing,
 * with RFC 6587 octet counting for TCP. Pure. Escaping rules and why:
 * ./escape.ts.
 */
import type { Alert } from '../schemas/generated.js';
import { cefExtensionValue, cefHeaderField } from './escape.js';
import { PRODUCT } from './ocsf.js';

/**
 * Byte caps per field, after escaping. Their sum with the RFC 5424 header
 * (at most ~510 bytes) stays under 7.3 KiB, below rsyslog's default 8 KiB
 * maximum message size, so a receiver never cuts one alert into two records.
 */
const HEADER_MAX_BYTES = { product: 64, signatureId: 128, name: 512 } as const;
const VALUE_MAX_BYTES: Record<string, number> = { externalId: 128, cat: 128, suser: 256, msg: 1024, cs1: 128, cs2: 128, cs3: 256, cs4: 256, cs5: 1024, cs6: 2048 };
const DEFAULT_VALUE_MAX_BYTES = 64; // numbers and labels

/** A header field: backslash and pipe escaped, every other unsafe character made visible, capped. */
export function cefHeader(s: string, maxBytes: number = HEADER_MAX_BYTES.name): string {
  return cefHeaderField(s, maxBytes);
}

/** An extension value: backslash, equals and line breaks escaped, every other unsafe character made visible, capped. */
export function cefValue(s: string, maxBytes: number = VALUE_MAX_BYTES.msg!): string {
  return cefExtensionValue(s, maxBytes);
}

export const CEF_SEVERITY: Record<Alert['severity'], number> = { INFO: 1, LOW: 3, MEDIUM: 5, HIGH: 8, CRITICAL: 10 };

export function toCef(alert: Alert): string {
  const e = alert.evidence;
  const ext: [string, string | number][] = [
    ['rt', alert.lastSeen],
    ['start', alert.firstSeen],
    ['externalId', alert.alertId],
    ['cat', alert.detector],
    ['suser', alert.agentId],
    ['msg', alert.description],
    ['cnt', alert.count],
    ['cn1Label', 'score'], ['cn1', alert.score],
    ['cs1Label', 'agentRole'], ['cs1', alert.agentRole],
    ['cs2Label', 'tenant'], ['cs2', alert.tenantId],
    ['cs3Label', 'metric'], ['cs3', e.metric],
    ['cs4Label', 'baseline'], ['cs4', `median=${e.baselineMedian ?? '-'} mean=${e.baselineMean ?? '-'} n=${e.sampleSize} (${e.baselineSource})`],
    ['cs5Label', 'tags'], ['cs5', alert.tags.join(',')],
    ['cfp1Label', 'observed'], ['cfp1', e.observed],
    // The evidence's details (targets, resources...) as JSON: their keys come from events, so they are never CEF keys.
    ['cs6Label', 'details'], ['cs6', JSON.stringify(e.details)],
  ];
  const header = [
    'CEF:0',
    cefHeader(PRODUCT.vendor_name, HEADER_MAX_BYTES.product),
    cefHeader(PRODUCT.name, HEADER_MAX_BYTES.product),
    cefHeader(PRODUCT.version, HEADER_MAX_BYTES.product),
    cefHeader(alert.ruleId, HEADER_MAX_BYTES.signatureId),
    cefHeader(alert.title, HEADER_MAX_BYTES.name),
    String(CEF_SEVERITY[alert.severity]),
  ];
  return `${header.join('|')}|${ext.map(([k, v]) => `${k}=${cefValue(String(v), VALUE_MAX_BYTES[k] ?? DEFAULT_VALUE_MAX_BYTES)}`).join(' ')}`;
}

export const SYSLOG_SEVERITY: Record<Alert['severity'], number> = { CRITICAL: 2, HIGH: 3, MEDIUM: 4, LOW: 5, INFO: 6 };

export interface SyslogOptions { facility?: number; hostname?: string; appName?: string; procId?: string; msgId?: string }

// RFC 5424 TIMESTAMP has a four-digit year: 0000-01-01 to 9999-12-31.
const MIN_SYSLOG_TIME_MS = -62_167_219_200_000;
const MAX_SYSLOG_TIME_MS = 253_402_300_799_999;

/** An RFC 5424 TIMESTAMP, or the NILVALUE for a time it cannot express (an event's claimed time is not trusted). */
export function syslogTimestamp(timestampMs: number): string {
  return Number.isFinite(timestampMs) && timestampMs >= MIN_SYSLOG_TIME_MS && timestampMs <= MAX_SYSLOG_TIME_MS ? new Date(timestampMs).toISOString() : '-';
}

/**
 * RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG; PRI = facility * 8 + severity.
 * The header parts allow only PRINTUSASCII (33-126), so anything else (spaces, controls, separators, any
 * non-ASCII) becomes `_` and each part is cut to its RFC length; we send no STRUCTURED-DATA (`-`). The MSG
 * must already be one line (toCef makes it so).
 */
export function toSyslog5424(message: string, severity: number, timestampMs: number, o: SyslogOptions = {}): string {
  const facility = o.facility ?? 10; // authpriv: security/authorization messages
  const pri = facility * 8 + severity;
  const field = (v: string | undefined, max: number) => (v ? v.replace(/[^\x21-\x7e]/gu, '_').slice(0, max) : '-');
  return `<${pri}>1 ${syslogTimestamp(timestampMs)} ${field(o.hostname, 255)} ${field(o.appName ?? 'agent-warden', 48)} ${field(o.procId, 128)} ${field(o.msgId ?? 'ALERT', 32)} - ${message}`;
}

/** RFC 6587 octet counting: "LENGTH SP MESSAGE", the length in bytes. */
export function octetFrame(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}
