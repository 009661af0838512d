/** Isolations waiting for a human: approve (the gate still has the last word) or deny. Viewers see the queue only. */
import { when } from './format.js';
import type { Act, ConsoleData } from './types.js';

export function ApprovalsPage({ data, canAct, act }: { data: ConsoleData; canAct: boolean; act: Act }) {
  const list = data.approvals;
  return (
    <section>
      <h2>Pending approvals</h2>
      {!canAct && <p class="muted">Read-only: a viewer token sees the queue but cannot answer it.</p>}
      {list.length === 0 ? <p class="muted">Nothing waits for a decision.</p> : (
        <table class="approvals">
          <thead><tr><th>agent</th><th>alert</th><th>proposed</th><th>why it waits</th><th>requested</th><th>expires (then)</th>{canAct && <th />}</tr></thead>
          <tbody>
            {list.map((p) => (
              <tr data-approval={p.id} data-agent={p.agentId}>
                <td class="mono">{p.agentId}</td>
                <td><span class={`sev ${p.alert.severity}`}>{p.alert.severity}</span> {p.alert.title}<br /><small>{p.alert.ruleId} · score {p.alert.score}</small></td>
                <td>{p.decision.action}{p.decision.revoke.length ? ` (${p.decision.revoke.join(', ')})` : ''}</td>
                <td>{p.hold.reason}</td>
                <td>{when(p.requestedAt)}</td>
                <td>{when(p.expiresAt)} ({p.decision.onTimeout})</td>
                {canAct && (
                  <td class="actions">
                    <button class="approve" onClick={() => void act('POST', `/v1/approvals/${p.id}/approve`)}>Approve</button>
                    <button class="deny" onClick={() => void act('POST', `/v1/approvals/${p.id}/deny`)}>Deny</button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
