/**
 * The `fetch` the gateway's upstream transport (the SDK's StreamableHTTPClientTransport) uses: node:http
 * with one keep-alive agent, instead of the global (undici) fetch. Two reasons, both measured
 * (bench/mcp-latency.ts with --gateway-cpu-prof):
 *   - the global fetch adds an `abort` listener to the transport's one AbortSignal for every request and
 *     removes it only when the request is garbage-collected, so a busy session piles up thousands of
 *     listeners (MaxListenersExceededWarning past 1,500), and every add walks that list;
 *   - it is the slower client: per call it builds a Request, runs the fetch algorithm and a second stream
 *     layer, where a tool call needs one POST on a reused socket.
 * Here a request listens to the signal only while it is open (removed when its response ends or fails), and
 * sockets are reused (keepAlive) with Nagle off, so a small JSON-RPC message is one write.
 * Redirects are returned, not followed: the SDK's own redirect policy (same origin only) follows them.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export interface UpstreamFetch {
  fetch: FetchLike;
  /** Open requests listening to an abort signal now (bounded by requests in flight, not by requests made). */
  openRequests(): number;
  /** Closes idle sockets; open responses (an SSE stream) end with their transport's abort. */
  close(): void;
}

const NO_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export function createUpstreamFetch(): UpstreamFetch {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  let open = 0;

  const fetch: FetchLike = (input, init = {}) => new Promise<Response>((resolve, reject) => {
    const url = input instanceof URL ? input : new URL(String(input));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) {
      reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
      return;
    }
    const secure = url.protocol === 'https:';
    const headers = Object.fromEntries(new Headers(init.headers ?? {}));
    const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : null;
    if (body === null) {
      reject(new TypeError('the upstream fetch sends string bodies only (JSON-RPC messages)'));
      return;
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = (secure ? httpsRequest : httpRequest)(url, { method: init.method ?? 'GET', headers, agent: secure ? agents.https : agents.http });
    req.setNoDelay(true);

    open += 1;
    let settled = false;
    const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    signal?.addEventListener('abort', onAbort, { once: true });
    // The one place the listener goes: when the exchange is over, however it ended.
    const done = () => {
      if (settled) return;
      settled = true;
      open -= 1;
      signal?.removeEventListener('abort', onAbort);
    };

    req.once('error', (err) => {
      done();
      reject(err);
    });
    req.once('response', (res: IncomingMessage) => {
      res.once('close', done);
      const status = res.statusCode ?? 502;
      const bodyless = NO_BODY_STATUSES.has(status) || init.method === 'HEAD';
      if (bodyless) res.resume();
      try {
        resolve(new Response(bodyless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage, headers: responseHeaders(res.headers) }));
      } catch (err) {
        // A status a Response cannot carry (1xx other than the ones above): not an MCP answer.
        res.destroy();
        reject(err as Error);
      }
    });
    req.end(body);
  });

  return {
    fetch,
    openRequests: () => open,
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function responseHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}
