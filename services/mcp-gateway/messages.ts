/**
 * JSON-RPC text as both fronts read it (an HTTP body, a stdio line): parsed once, then the messages go
 * through the session's CallInspector in each direction. Nothing here validates a message beyond "an
 * object": the gateway reads only the fields it acts on, and the MCP server validates what it gets.
 */
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { CallInspector, Msg } from './inspector.js';

export interface ParsedMessages { messages: Msg[]; batch: boolean }

/**
 * A message or a batch, or null when the text is not one. From the agent, null is answered with
 * parseError() and nothing is forwarded: what the gateway cannot read it cannot inspect (and the server
 * would refuse it too).
 */
export function parseMessages(text: string): ParsedMessages | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const batch = Array.isArray(parsed);
  const messages = batch ? (parsed as unknown[]) : [parsed];
  return messages.length > 0 && messages.every(isMessage) ? { messages, batch } : null;
}

/** JSON-RPC's answer to what has no id to answer (the SDK's message type has no `id: null`). */
export interface UnaddressedError { jsonrpc: '2.0'; error: { code: number; message: string }; id: null }

/** The answer to what parseMessages refused; `what` names the carrier ("the body", "the line"). */
export function parseError(what: string): UnaddressedError {
  return { jsonrpc: '2.0', error: { code: -32700, message: `Parse error: ${what} is not a JSON-RPC message or batch` }, id: null };
}

export interface AgentSplit {
  /** The gateway's answers to refused requests (they go no further). */
  refusals: (JSONRPCMessage | UnaddressedError)[];
  /** What goes on to the server, in the agent's order. */
  forward: Msg[];
}

/**
 * The agent's messages through the inspector: refused requests are answered here, the rest go to the server.
 * wireBytes: the size of the body or line they came in (it is the message's own when there is one).
 */
export function splitFromAgent(inspector: CallInspector, messages: Msg[], wireBytes?: number): AgentSplit {
  const single = messages.length === 1 ? wireBytes : undefined;
  const refusals: AgentSplit['refusals'] = [];
  const forward: Msg[] = [];
  for (const m of messages) {
    const refusal = inspector.fromAgent(m, single);
    if (refusal) refusals.push(refusal);
    else forward.push(m);
  }
  return { refusals, forward };
}

/**
 * One parsed message or batch from the server, through the inspector; changed says whether it must be written
 * again. wireBytes: the size of the text it was parsed from.
 */
export function inspectFromServer(inspector: CallInspector, parsed: unknown, wireBytes?: number): [boolean, unknown] {
  if (Array.isArray(parsed)) {
    const out = parsed.map((m) => (isMessage(m) ? inspector.fromServer(m) : m));
    return [out.some((m, i) => m !== parsed[i]), out];
  }
  if (!isMessage(parsed)) return [false, parsed];
  const out = inspector.fromServer(parsed, wireBytes);
  return [out !== parsed, out];
}

export function isMessage(v: unknown): v is Msg {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A request (it has a method and an id), so an answer to it is expected. */
export function isRequest(m: Msg): m is Msg & { method: string; id: RequestId } {
  return m.method !== undefined && m.id !== undefined && m.id !== null;
}
