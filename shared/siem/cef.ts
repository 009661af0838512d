/**
 * CEF (ArcSight Common Event Format) messages and RFC 5424 syslog framing,
 * with RFC 6587 octet counting for TCP. Pure.
 */
import type { Alert } from '../schemas/generated.js';
import { PRODUCT } from './ocsf.js';

/** Header fields escape backslash and pipe. */
export function cefHeader(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** Extension values escape backslash, equals and line breaks. */
export function cefValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r\n|\n/g, '\\n').replace(/\r/g, '\\r');
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
  ];
  const header = ['CEF:0', PRODUCT.vendor_name, PRODUCT.name, PRODUCT.version, alert.ruleId, alert.title, String(CEF_SEVERITY[alert.severity])].map((h, i) => (i === 0 ? h : cefHeader(h)));
  return `${header.join('|')}|${ext.map(([k, v]) => `${k}=${cefValue(String(v))}`).join(' ')}`;
}

export const SYSLOG_SEVERITY: Record<Alert['severity'], number> = { CRITICAL: 2, HIGH: 3, MEDIUM: 4, LOW: 5, INFO: 6 };

export interface SyslogOptions { facility?: number; hostname?: string; appName?: string; procId?: string; msgId?: string }

/** RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG; PRI = facility * 8 + severity. */
export function toSyslog5424(message: string, severity: number, timestampMs: number, o: SyslogOptions = {}): string {
  const facility = o.facility ?? 10; // authpriv: security/authorization messages
  const pri = facility * 8 + severity;
  const field = (v: string | undefined, max: number) => (v ? v.replace(/[^\x21-\x7e]/g, '_').slice(0, max) : '-');
  return `<${pri}>1 ${new Date(timestampMs).toISOString()} ${field(o.hostname, 255)} ${field(o.appName ?? 'agent-warden', 48)} ${field(o.procId, 128)} ${field(o.msgId ?? 'ALERT', 32)} - ${message}`;
}

/** RFC 6587 octet counting: "LENGTH SP MESSAGE", the length in bytes. */
export function octetFrame(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}
