/** Recent alerts, newest first; the selected one shows its evidence: observed vs baseline, the window, related events, details and tags. */
import { useState } from 'preact/hooks';
import { EvidenceChart } from './chart.js';
import { num, when } from './format.js';
import type { ConsoleData } from './types.js';

export function AlertsPage({ data }: { data: ConsoleData }) {
  const [selected, setSelected] = useState<string | null>(null);
  const alerts = data.alerts;
  const current = alerts.find((a) => a.alert.alertId === selected) ?? alerts[0];
  if (!current) return <section><h2>Alerts</h2><p class="muted">No alerts yet.</p></section>;
  const a = current.alert;
  const e = a.evidence;
  return (
    <section class="alerts">
      <h2>Alerts</h2>
      <div class="split">
        <ul class="alert-list">
          {alerts.map(({ alert: x }) => (
            <li class={x.alertId === a.alertId ? 'current' : ''} data-alert={x.alertId} onClick={() => setSelected(x.alertId)}>
              <span class={`sev ${x.severity}`}>{x.severity}</span> <span class="mono">{x.agentId}</span><br />
              <small>{x.title}{x.count > 1 ? ` ×${x.count}` : ''}</small>
            </li>
          ))}
        </ul>
        <article class="evidence" data-testid="evidence">
          <h3><span class={`sev ${a.severity}`}>{a.severity}</span> {a.title}</h3>
          <p>{a.description}</p>
          <p class="mono small">{a.agentId} · {a.detector} · rule {a.ruleId} · score {a.score} · {a.count}× · {when(a.firstSeen)} → {when(a.lastSeen)}</p>
          <div class="evidence-body">
            <EvidenceChart evidence={e} />
            <dl>
              <dt>metric</dt><dd>{e.metric}</dd>
              <dt>observed</dt><dd>{num(e.observed)}</dd>
              <dt>baseline</dt><dd>median {num(e.baselineMedian)} (MAD {num(e.baselineMad)}) · mean {num(e.baselineMean)} (std {num(e.baselineStd)}) · n={e.sampleSize} · from {e.baselineSource}</dd>
              <dt>window</dt><dd>{when(e.windowStart)} → {when(e.windowEnd)}</dd>
              {Object.entries(e.details).map(([k, v]) => <><dt>{k}</dt><dd class="mono">{v}</dd></>)}
            </dl>
          </div>
          <h4>Related events</h4>
          {e.relatedEventIds.length ? <ul class="mono small">{e.relatedEventIds.map((id) => <li>{id}</li>)}</ul> : <p class="muted">none recorded</p>}
          <h4>Tags</h4>
          <p>{a.tags.length ? a.tags.map((t) => <span class="tag">{t}</span>) : <span class="muted">none</span>}</p>
        </article>
      </div>
    </section>
  );
}
