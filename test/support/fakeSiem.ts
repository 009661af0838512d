/**
 * A stand-in for Splunk HEC and Elasticsearch _bulk (neither can run here). It
 * checks the protocol strictly (method, path, headers, body shape) and can
 * answer 429/503 first, to exercise retries. Anything off-protocol is
 * answered 400 and recorded as a violation, which tests assert are none.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSiem {
  url: string;
  hecEvents: Record<string, any>[];
  bulkDocs: Map<string, Record<string, any>>;
  /** External version of each stored document. */
  bulkVersions: Map<string, number>;
  violations: string[];
  requests: { path: string; status: number }[];
  /** Statuses to answer before accepting (e.g. [429, 503]). */
  failFirst: { hec: number[]; bulk: number[] };
  close(): Promise<void>;
}

export async function startFakeSiem(opts: { hecToken: string }): Promise<FakeSiem> {
  const state: Omit<FakeSiem, 'url' | 'close'> = { hecEvents: [], bulkDocs: new Map(), bulkVersions: new Map(), violations: [], requests: [], failFirst: { hec: [], bulk: [] } };
  const read = (req: IncomingMessage) => new Promise<string>((r) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => r(b)); });
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    const answer = (status: number, json: unknown) => {
      state.requests.push({ path: req.url ?? '', status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    const violation = (why: string) => {
      state.violations.push(`${req.method} ${req.url}: ${why}`);
      answer(400, { text: why, code: 6 });
    };
    if (req.url === '/services/collector/event') {
      if (req.method !== 'POST') return violation('HEC needs POST');
      if (req.headers.authorization !== `Splunk ${opts.hecToken}`) return answer(401, { text: 'Invalid token', code: 4 });
      const fail = state.failFirst.hec.shift();
      if (fail) return answer(fail, { text: 'Server is busy', code: 9 });
      const events: any[] = [];
      for (const line of body.split('\n').filter(Boolean)) {
        let e: any;
        try { e = JSON.parse(line); } catch { return violation('each line must be a JSON event'); }
        if (typeof e.time !== 'number' || e.time > 1e11) return violation('time must be epoch seconds');
        if (typeof e.event !== 'object' || !e.sourcetype || !e.source) return violation('event, source and sourcetype are required');
        events.push(e);
      }
      if (events.length === 0) return violation('empty body');
      state.hecEvents.push(...events);
      return answer(200, { text: 'Success', code: 0 });
    }
    if (req.url === '/_bulk') {
      if (req.method !== 'POST') return violation('_bulk needs POST');
      if (!String(req.headers['content-type']).startsWith('application/x-ndjson')) return violation('content-type must be application/x-ndjson');
      if (!body.endsWith('\n')) return violation('the body must end with a newline');
      const fail = state.failFirst.bulk.shift();
      if (fail) return answer(fail, { error: 'es_rejected_execution_exception', status: fail });
      const lines = body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      if (lines.length % 2 !== 0) return violation('action and document lines must pair up');
      const items = [];
      for (let i = 0; i < lines.length; i += 2) {
        const action = lines[i].index;
        if (!action?._id || !action._index) return violation('expected index actions with _index and _id');
        if (action.version_type !== 'external' || !Number.isInteger(action.version) || action.version < 1) return violation('expected an external version (a positive integer)');
        // Elasticsearch's external versioning: only a higher version replaces the document.
        const current = state.bulkVersions.get(action._id);
        const accepted = current === undefined || action.version > current;
        if (accepted) {
          state.bulkDocs.set(action._id, lines[i + 1]);
          state.bulkVersions.set(action._id, action.version);
        }
        items.push({ index: { _index: action._index, _id: action._id, _version: accepted ? action.version : current, status: accepted ? (current === undefined ? 201 : 200) : 409 } });
      }
      return answer(200, { took: 1, errors: items.some((i) => i.index.status >= 300), items });
    }
    answer(404, { error: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { ...state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) } as FakeSiem;
}
