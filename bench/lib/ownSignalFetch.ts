/**
 * fetch for the MCP SDK's StreamableHTTPClientTransport in a long run. The transport gives every request the
 * same AbortSignal (its own, aborted by close()), and Node's fetch (undici) adds an abort listener to the signal
 * of each Request that it removes only when that Request is garbage-collected (nodejs/node#52635, undici#939):
 * thousands of sequential calls pile up 1,500+ listeners on that one signal between major GCs
 * (MaxListenersExceededWarning, hundreds per benchmark run), and every request's addEventListener walks them.
 * AbortSignal.any gives each request a signal of its own that the transport's abort still reaches, and adds no
 * listener to the transport's signal.
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export const ownSignalFetch: FetchLike = (url, init) => fetch(url, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init);
