/**
 * Syslog over TCP or TLS: RFC 5424 messages carrying CEF, framed with RFC 6587
 * octet counting. A batch counts as delivered when the socket has flushed it;
 * a broken connection retries the batch on a new one.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { SYSLOG_SEVERITY, octetFrame, toCef, toSyslog5424, type FormattedAlert, type Sink, type SinkResult } from '../../../shared/siem/index.js';

export interface SyslogSinkOptions { host: string; port: number; tls: boolean | { ca?: string; rejectUnauthorized: boolean }; facility: number; hostname?: string }

export function syslogLine(f: FormattedAlert, o: Pick<SyslogSinkOptions, 'facility' | 'hostname'>): string {
  return toSyslog5424(toCef(f.alert), SYSLOG_SEVERITY[f.alert.severity], f.alert.lastSeen, { facility: o.facility, hostname: o.hostname ?? hostname(), appName: 'agent-warden', msgId: 'ALERT' });
}

export function createSyslogSink(o: SyslogSinkOptions): Sink {
  let socket: Socket | null = null;
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      const s = o.tls
        ? tlsConnect({ host: o.host, port: o.port, ...(typeof o.tls === 'object' ? { ca: o.tls.ca ? readFileSync(o.tls.ca) : undefined, rejectUnauthorized: o.tls.rejectUnauthorized } : {}) }, () => resolve(s))
        : netConnect({ host: o.host, port: o.port }, () => resolve(s));
      s.once('error', onError);
      s.on('close', () => {
        if (socket === s) socket = null;
      });
      s.setTimeout(30_000, () => s.destroy());
    });
  return {
    name: 'syslog',
    async send(batch: FormattedAlert[]): Promise<SinkResult> {
      // Formatting is pure and should never throw; if it does for one alert, that alert goes to the
      // DLQ with the reason instead of failing (and retrying forever) the whole batch.
      const frames: string[] = [];
      const sent: string[] = [];
      const deadLettered: SinkResult['deadLettered'] = [];
      for (const f of batch) {
        try {
          frames.push(octetFrame(syslogLine(f, o)));
          sent.push(f.alert.alertId);
        } catch (err) {
          deadLettered.push({ alertId: f.alert.alertId, reason: `syslog: cannot format the alert: ${(err as Error).message}` });
        }
      }
      if (frames.length === 0) return { delivered: [], deadLettered, retry: [] };
      try {
        socket ??= await open();
        const s = socket;
        s.removeAllListeners('error');
        const payload = frames.join('');
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.write(payload, (err) => (err ? reject(err) : resolve()));
        });
        return { delivered: sent, deadLettered, retry: [] };
      } catch {
        socket?.destroy();
        socket = null;
        return { delivered: [], deadLettered, retry: sent };
      }
    },
    async close(): Promise<void> {
      await new Promise<void>((resolve) => (socket ? socket.end(resolve) : resolve()));
      socket = null;
    },
  };
}
