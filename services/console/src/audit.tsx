/** The audit trail's hash chain, as verified by the server now, and its latest entries. */
import { when } from './format.js';
import type { ConsoleData } from './types.js';

export function AuditPage({ data }: { data: ConsoleData }) {
  const { chain, audit } = data;
  return (
    <section>
      <h2>Audit trail</h2>
      <p class={`chain ${chain.ok ? 'ok' : 'broken'}`} data-testid="chain">
        {chain.ok ? `Chain intact: ${chain.entries} entries verified` : `Chain broken at entry ${chain.firstBrokenIndex}: ${chain.reason}`}
      </p>
      <table class="audit">
        <thead><tr><th>#</th><th>time</th><th>kind</th><th>actor</th><th>agent</th><th>details</th></tr></thead>
        <tbody>
          {audit.map((e) => (
            <tr><td>{e.seq}</td><td>{when(e.at)}</td><td>{e.kind}</td><td class="mono">{e.actor}</td><td class="mono">{e.agentId ?? '—'}</td><td class="mono small">{JSON.stringify(e.details)}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
