/** Every agent the pipeline has heard of: its state (what its SDK obeys), last seen, open alerts, and release for responders. */
import { ago, when } from './format.js';
import type { Act, ConsoleData, FleetRow } from './types.js';

export function FleetPage({ data, canAct, act }: { data: ConsoleData; canAct: boolean; act: Act }) {
  const { agents, fleetCommand } = data.fleet;
  const counts = { active: 0, throttled: 0, quarantined: 0 };
  for (const a of agents) counts[a.state]++;
  return (
    <section>
      <h2>Fleet</h2>
      {fleetCommand && <p class="banner" role="status">Fleet-wide {fleetCommand.type.toLowerCase()} in force since {when(fleetCommand.issuedAt)}: {fleetCommand.reason}</p>}
      <p class="summary">{agents.length} agents · <span class="state active">{counts.active} active</span> · <span class="state throttled">{counts.throttled} throttled</span> · <span class="state quarantined">{counts.quarantined} quarantined</span></p>
      <table class="fleet">
        <thead><tr><th>agent</th><th>role</th><th>state</th><th>last seen</th><th>open alerts</th><th>why / until</th>{canAct && <th />}</tr></thead>
        <tbody>{agents.map((a) => <Row agent={a} canAct={canAct} act={act} now={data.loadedAt} />)}</tbody>
      </table>
      {agents.length === 0 && <p class="muted">No agent seen yet.</p>}
    </section>
  );
}

function Row({ agent: a, canAct, act, now }: { agent: FleetRow; canAct: boolean; act: Act; now: number }) {
  const c = a.command;
  return (
    <tr data-agent={a.agentId} data-state={a.state}>
      <td class="mono">{a.agentId}</td>
      <td>{a.agentRole ?? '—'}</td>
      <td><span class={`state ${a.state}`}>{a.state}</span>{c?.type === 'THROTTLE' && <small> ({c.revokedCapabilities.join(', ')})</small>}</td>
      <td title={when(a.lastSeenMs)}>{ago(a.lastSeenMs, now)}</td>
      <td>{a.openAlerts > 0 ? <a href="#/alerts">{a.openAlerts}</a> : 0}</td>
      <td>{c ? <>{c.reason}<br /><small>by {c.issuedBy}{c.expiresAt ? `, until ${when(c.expiresAt)}` : ''}</small></> : ''}</td>
      {canAct && <td>{c && c.agentId === a.agentId && <button onClick={() => void act('POST', `/v1/agents/${encodeURIComponent(a.agentId)}/release`, { reason: 'released from the console' })}>Release</button>}</td>}
    </tr>
  );
}
