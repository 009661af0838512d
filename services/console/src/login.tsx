/** Paste an API token (WARDEN_API_TOKENS): checked against /v1/me, then kept in sessionStorage for this tab. */
import { useState } from 'preact/hooks';
import { ApiError, call, session } from './api.js';
import type { Me } from './types.js';

export function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const me = await call<Me>('GET', '/v1/me', undefined, token.trim());
      session.save(token.trim());
      onLogin(me);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That token is not valid.' : (err as Error).message);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Agent Warden</h1>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} placeholder="paste a viewer or responder token" />
      <button type="submit" disabled={!token.trim()}>Log in</button>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="muted">The token stays in this tab (sessionStorage) and is sent as a Bearer header.</p>
    </form>
  );
}
