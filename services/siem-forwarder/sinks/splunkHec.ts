/**
 * Splunk HTTP Event Collector: POST /services/collector/event with
 * `Authorization: Splunk <token>`, events as concatenated JSON objects
 * {time (seconds), host, source, sourcetype, index?, event}. A batch is all or
 * nothing in HEC: 429/5xx/unreachable retry the batch, other 4xx dead-letter it.
 */
import { isRetriableStatus, type FormattedAlert, type Sink, type SinkResult } from '../../../shared/siem/index.js';
import { post } from './http.js';

export interface SplunkHecOptions { url: string; token: string; index?: string; sourcetype: string; timeoutMs: number; host?: string }

export function hecBody(batch: FormattedAlert[], o: Pick<SplunkHecOptions, 'index' | 'sourcetype' | 'host'>): string {
  return batch
    .map(({ alert, ocsf }) => JSON.stringify({ time: alert.lastSeen / 1000, host: o.host ?? 'agent-warden', source: 'agent-warden', sourcetype: o.sourcetype, ...(o.index ? { index: o.index } : {}), event: ocsf }))
    .join('\n');
}

export function createSplunkHecSink(o: SplunkHecOptions): Sink {
  const endpoint = `${o.url.replace(/\/$/, '')}/services/collector/event`;
  return {
    name: 'splunk-hec',
    async send(batch: FormattedAlert[]): Promise<SinkResult> {
      const ids = batch.map((b) => b.alert.alertId);
      if (batch.length === 0) return { delivered: [], deadLettered: [], retry: [] };
      const res = await post(endpoint, hecBody(batch, o), { authorization: `Splunk ${o.token}`, 'content-type': 'application/json' }, o.timeoutMs);
      if (res.status >= 200 && res.status < 300) return { delivered: ids, deadLettered: [], retry: [] };
      if (res.status === 0 || isRetriableStatus(res.status)) return { delivered: [], deadLettered: [], retry: ids };
      const reason = `splunk-hec ${res.status}: ${res.text.slice(0, 200)}`;
      return { delivered: [], deadLettered: ids.map((alertId) => ({ alertId, reason })), retry: [] };
    },
  };
}
