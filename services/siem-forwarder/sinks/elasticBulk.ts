/**
 * Elasticsearch `_bulk` with ECS documents. `index` with `_id = alertId` and
 * an external version equal to the alert's count: an incident's updates (a
 * higher count, an escalated severity) replace its document, while a
 * redelivered or older copy is refused with 409, which means "already there".
 * So delivery is idempotent and the SIEM shows each incident's latest state.
 * Per item: 2xx/409 delivered, 429/5xx retried, other 4xx dead-lettered.
 */
import { isRetriableStatus, type FormattedAlert, type Sink, type SinkResult } from '../../../shared/siem/index.js';
import { toEcs } from '../../../shared/siem/index.js';
import { post } from './http.js';

export interface ElasticBulkOptions { url: string; index: string; apiKey?: string; username?: string; password?: string; timeoutMs: number }

export function bulkBody(batch: FormattedAlert[], index: string): string {
  return `${batch.map(({ alert }) => `${JSON.stringify({ index: { _index: index, _id: alert.alertId, version: alert.count, version_type: 'external' } })}\n${JSON.stringify(toEcs(alert))}`).join('\n')}\n`;
}

export function createElasticBulkSink(o: ElasticBulkOptions): Sink {
  const endpoint = `${o.url.replace(/\/$/, '')}/_bulk`;
  const auth = o.apiKey ? `ApiKey ${o.apiKey}` : o.username ? `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}` : undefined;
  return {
    name: 'elastic-bulk',
    async send(batch: FormattedAlert[]): Promise<SinkResult> {
      const ids = batch.map((b) => b.alert.alertId);
      if (batch.length === 0) return { delivered: [], deadLettered: [], retry: [] };
      const res = await post(endpoint, bulkBody(batch, o.index), { 'content-type': 'application/x-ndjson', ...(auth ? { authorization: auth } : {}) }, o.timeoutMs);
      if (res.status === 0 || isRetriableStatus(res.status)) return { delivered: [], deadLettered: [], retry: ids };
      if (res.status < 200 || res.status >= 300) {
        const reason = `elastic-bulk ${res.status}: ${res.text.slice(0, 200)}`;
        return { delivered: [], deadLettered: ids.map((alertId) => ({ alertId, reason })), retry: [] };
      }
      let items: { index?: { _id?: string; status: number; error?: { type?: string; reason?: string } } }[] = [];
      try {
        items = (JSON.parse(res.text) as { items?: typeof items }).items ?? [];
      } catch {
        return { delivered: [], deadLettered: [], retry: ids }; // an unreadable 200 proves nothing: try again (versioned writes are idempotent)
      }
      const out: SinkResult = { delivered: [], deadLettered: [], retry: [] };
      ids.forEach((alertId, i) => {
        const item = items[i]?.index;
        if (!item) out.retry.push(alertId);
        else if ((item.status >= 200 && item.status < 300) || item.status === 409) out.delivered.push(alertId);
        else if (isRetriableStatus(item.status)) out.retry.push(alertId);
        else out.deadLettered.push({ alertId, reason: `elastic-bulk item ${item.status}: ${item.error?.type ?? ''} ${item.error?.reason ?? ''}`.trim() });
      });
      return out;
    },
  };
}
