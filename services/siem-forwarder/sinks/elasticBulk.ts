/**
 * Elasticsearch `_bulk` with ECS documents. `create` with `_id = alertId`
 * makes delivery idempotent: a 409 on redelivery means it is already there.
 * Per item: 2xx/409 delivered, 429/5xx retried, other 4xx dead-lettered.
 */
import { isRetriableStatus, type FormattedAlert, type Sink, type SinkResult } from '../../../shared/siem/index.js';
import { toEcs } from '../../../shared/siem/index.js';
import { post } from './http.js';

export interface ElasticBulkOptions { url: string; index: string; apiKey?: string; username?: string; password?: string; timeoutMs: number }

export function bulkBody(batch: FormattedAlert[], index: string): string {
  return `${batch.map(({ alert }) => `${JSON.stringify({ create: { _index: index, _id: alert.alertId } })}\n${JSON.stringify(toEcs(alert))}`).join('\n')}\n`;
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
      let items: { create?: { _id?: string; status: number; error?: { type?: string; reason?: string } } }[] = [];
      try {
        items = (JSON.parse(res.text) as { items?: typeof items }).items ?? [];
      } catch {
        return { delivered: [], deadLettered: [], retry: ids }; // an unreadable 200 proves nothing: try again (create is idempotent)
      }
      const out: SinkResult = { delivered: [], deadLettered: [], retry: [] };
      ids.forEach((alertId, i) => {
        const item = items[i]?.create;
        if (!item) out.retry.push(alertId);
        else if ((item.status >= 200 && item.status < 300) || item.status === 409) out.delivered.push(alertId);
        else if (isRetriableStatus(item.status)) out.retry.push(alertId);
        else out.deadLettered.push({ alertId, reason: `elastic-bulk item ${item.status}: ${item.error?.type ?? ''} ${item.error?.reason ?? ''}`.trim() });
      });
      return out;
    },
  };
}
