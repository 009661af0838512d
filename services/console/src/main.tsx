/**
 * The Agent Warden console: log in with an API token, then four pages (fleet,
 * alerts, approvals, audit) read from the responder API and refreshed on every
 * hint from its event stream. What a viewer may not do is not drawn, and the
 * API refuses it anyway (403): the page hides, the server decides.
 */
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, follow, session } from './api.js';
import { AlertsPage } from './alerts.js';
import { ApprovalsPage } from './approvals.js';
import { AuditPage } from './audit.js';
import { FleetPage } from './fleet.js';
import { Login } from './login.js';
import type { ConsoleData, Me } from './types.js';
import './style.css';

const PAGES = { fleet: 'Fleet', alerts: 'Alerts', approvals: 'Approvals', audit: 'Audit' } as const;
type Page = keyof typeof PAGES;
const pageFromHash = (): Page => {
  const h = location.hash.replace(/^#\/?/, '');
  return h in PAGES ? (h as Page) : 'fleet';
};

function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(Boolean(session.token()));
  const [page, setPage] = useState<Page>(pageFromHash());
  const [data, setData] = useState<ConsoleData | null>(null);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pending = useRef<number | null>(null);

  const logout = useCallback(() => {
    session.clear();
    setMe(null);
    setData(null);
  }, []);

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // A token kept from earlier in this tab: check it is still good.
  useEffect(() => {
    if (!session.token()) return;
    call<Me>('GET', '/v1/me').then(setMe, () => session.clear()).finally(() => setChecking(false));
  }, []);

  const load = useCallback(async () => {
    try {
      const [fleet, alerts, approvals, audit, chain] = await Promise.all([
        call<ConsoleData['fleet']>('GET', '/v1/fleet'), call<ConsoleData['alerts']>('GET', '/v1/alerts'), call<ConsoleData['approvals']>('GET', '/v1/approvals'),
        call<ConsoleData['audit']>('GET', '/v1/audit'), call<ConsoleData['chain']>('GET', '/v1/audit/verify'),
      ]);
      setData({ fleet, alerts, approvals, audit, chain, loadedAt: Date.now() });
      setError(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) logout();
      else setError((err as Error).message);
    }
  }, [logout]);

  // Hints arrive in bursts (a batch of alerts): one reload per 250 ms at most.
  const reloadSoon = useCallback(() => {
    if (pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      void load();
    }, 250);
  }, [load]);

  useEffect(() => {
    if (!me) return;
    void load();
    const stop = new AbortController();
    follow(stop.signal, reloadSoon, (up) => {
      setLive(up);
      if (up) reloadSoon(); // catch up on what happened while the stream was down
    }).catch(logout);
    return () => stop.abort();
  }, [me, load, reloadSoon, logout]);

  if (checking) return <p class="muted">Checking the saved token…</p>;
  if (!me) return <Login onLogin={setMe} />;

  const act = async (method: 'POST', path: string, body?: unknown) => {
    try {
      await call(method, path, body ?? {});
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
    await load();
  };
  const canAct = me.role === 'responder';
  const pendingCount = data?.approvals.length ?? 0;
  return (
    <div class="shell">
      <header>
        <strong>Agent Warden</strong>
        <nav>
          {(Object.keys(PAGES) as Page[]).map((p) => (
            <a href={`#/${p}`} class={p === page ? 'current' : ''} data-page={p}>{PAGES[p]}{p === 'approvals' && pendingCount > 0 ? ` (${pendingCount})` : ''}</a>
          ))}
        </nav>
        <span class={`live ${live ? 'up' : 'down'}`} data-testid="live">{live ? 'live' : 'reconnecting'}</span>
        <span class="who" data-testid="who">{me.name} · {me.role}{canAct ? '' : ' (read-only)'}</span>
        <button class="link" onClick={logout}>Log out</button>
      </header>
      {error && <p class="error" role="alert">{error}</p>}
      <main>
        {!data ? <p class="muted">Loading…</p>
          : page === 'fleet' ? <FleetPage data={data} canAct={canAct} act={act} />
          : page === 'alerts' ? <AlertsPage data={data} />
          : page === 'approvals' ? <ApprovalsPage data={data} canAct={canAct} act={act} />
          : <AuditPage data={data} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
