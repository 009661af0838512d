/**
 * The OTLP/HTTP receiver: `POST /v1/traces`, protobuf or JSON, optionally gzip, as the OTLP
 * specification describes (opentelemetry.io/docs/specs/otlp/#otlphttp). Checks run cheapest first:
 * path, method, bearer token (401), content type (415), declared then actual size (413), gzip (bounded
 * inflate: 413 past the limit, 400 when corrupt), decoding (400). Accepted requests answer 200 with an
 * ExportTraceServiceResponse in the request's encoding, with `partialSuccess` when some spans were
 * refused; a full or slow Kafka queue answers 503 with Retry-After. Errors carry a JSON body
 * `{code, message}` (google.rpc.Status fields). Every answer is counted; no header is ever logged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { decodeJsonRequest, decodeProtobufRequest, encodeResponse, OtlpDecodeError } from '../../shared/ingest/otlp/decode.js';
import type { OtlpSpan } from '../../shared/ingest/otlp/spans.js';
import type { Sender, Senders } from '../../shared/ingest/senders.js';
import type { Logger } from '../../shared/logging/index.js';
import type { OtelIngestMetrics } from './metrics.js';

const inflate = promisify(gunzip);

export interface ReceiverOptions {
  senders: Senders;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  metrics: OtelIngestMetrics;
  logger: Logger;
  /** Maps and publishes the spans; resolves with how many were refused and why, or throws Backpressure. */
  ingest(spans: OtlpSpan[], sender: Sender): Promise<{ rejected: number; message: string }>;
}

/** Thrown by ingest() when Kafka cannot take the spans now (queue full, or not acknowledged in time). */
export class Backpressure extends Error {}

type Format = 'protobuf' | 'json';

/** gRPC status codes, as OTLP/HTTP error bodies use them. */
const GRPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNAUTHENTICATED: 16, UNAVAILABLE: 14, UNIMPLEMENTED: 12, INTERNAL: 13 } as const;

class Refusal extends Error {
  constructor(readonly status: number, readonly reason: string, readonly grpc: number, message: string) {
    super(message);
  }
}

export function createReceiver(o: ReceiverOptions): Server {
  const server = createServer((req, res) => {
    handle(req, res, o).catch((err: unknown) => {
      o.logger.error({ err: (err as Error).message }, 'otel-ingest: request failed unexpectedly');
      answerError(res, o, new Refusal(500, 'error', GRPC.INTERNAL, 'internal error'));
    });
  });
  // A slow sender must not hold a connection forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, o: ReceiverOptions): Promise<void> {
  try {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/v1/traces') throw new Refusal(404, 'not-found', GRPC.NOT_FOUND, 'only /v1/traces is served');
    if (req.method !== 'POST') throw new Refusal(405, 'method', GRPC.UNIMPLEMENTED, 'use POST');
    const sender = o.senders.authenticate(req.headers.authorization);
    if (!sender) throw new Refusal(401, 'unauthenticated', GRPC.UNAUTHENTICATED, 'a valid bearer token is required (Authorization: Bearer <token>)');
    const format = formatOf(req.headers['content-type']);
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    if (encoding !== 'gzip' && encoding !== 'identity') throw new Refusal(415, 'content-encoding', GRPC.INVALID_ARGUMENT, `content-encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported (gzip or none)`);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > o.maxBodyBytes) throw tooLarge(o.maxBodyBytes);
    let body = await readBody(req, o.maxBodyBytes);
    if (encoding === 'gzip') body = await gunzipBounded(body, o.maxBodyBytes);
    let spans: OtlpSpan[];
    try {
      spans = format === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body.toString('utf8'));
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new Refusal(400, 'malformed', GRPC.INVALID_ARGUMENT, err.message);
      throw err;
    }
    let result: { rejected: number; message: string };
    try {
      result = await o.ingest(spans, sender);
    } catch (err) {
      if (err instanceof Backpressure) {
        res.setHeader('Retry-After', String(o.retryAfterSeconds));
        throw new Refusal(503, 'backpressure', GRPC.UNAVAILABLE, `${err.message}; retry after ${o.retryAfterSeconds} s`);
      }
      throw err;
    }
    o.metrics.requests.inc({ status: '200', reason: result.rejected > 0 ? 'partial' : 'ok' });
    res.writeHead(200, { 'content-type': format === 'protobuf' ? 'application/x-protobuf' : 'application/json' });
    res.end(encodeResponse(format, result.rejected, result.message));
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    answerError(res, o, err);
  }
}

function answerError(res: ServerResponse, o: ReceiverOptions, r: Refusal): void {
  o.metrics.requests.inc({ status: String(r.status), reason: r.reason });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The body may still be arriving (a refused request is not read): close rather than keep the connection.
  res.writeHead(r.status, { 'content-type': 'application/json', connection: 'close', ...(r.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
  res.end(JSON.stringify({ code: r.grpc, message: r.message }));
}

function formatOf(contentType: string | undefined): Format {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new Refusal(415, 'content-type', GRPC.INVALID_ARGUMENT, `content-type ${JSON.stringify(type.slice(0, 60))} is not supported (application/x-protobuf or application/json)`);
}

function tooLarge(max: number): Refusal {
  return new Refusal(413, 'too-large', GRPC.RESOURCE_EXHAUSTED, `the body is larger than ${max} bytes`);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function gunzipBounded(body: Buffer, max: number): Promise<Buffer> {
  try {
    return await inflate(body, { maxOutputLength: max });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(max);
    throw new Refusal(400, 'malformed', GRPC.INVALID_ARGUMENT, `the gzip body cannot be inflated (${code ?? 'corrupt'})`);
  }
}
