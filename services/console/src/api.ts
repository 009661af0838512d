/**
 * The console's only way to the server: the responder API with the pasted
 * token as a Bearer header. The token stays in sessionStorage (gone when the
 * tab closes) and never goes into a URL, so it is never in a log. The event
 * stream is read with fetch, not EventSource, because EventSource cannot send
 * an Authorization header.
 */
const TOKEN_KEY = 'warden-token';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  save: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, token = session.token()): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new ApiError(res.status, data.error ?? `HTTP ${res.status}`);
  return data;
}

/** Follows /v1/stream until `signal` aborts, reconnecting after a drop; calls `onEvent` per event, `onLive` on (dis)connect. */
export async function follow(signal: AbortSignal, onEvent: (name: string, data: unknown) => void, onLive: (live: boolean) => void): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await fetch('/v1/stream', { headers: { authorization: `Bearer ${session.token() ?? ''}` }, signal });
      if (!res.ok || !res.body) throw new ApiError(res.status, `stream: HTTP ${res.status}`);
      onLive(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => l && !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
          if (fields.event) onEvent(fields.event, fields.data ? JSON.parse(fields.data) : null);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 401) throw err;
    }
    onLive(false);
    // Back off before reconnecting, so a stopped server is not hammered.
    await new Promise((r) => setTimeout(r, 2000));
  }
}
