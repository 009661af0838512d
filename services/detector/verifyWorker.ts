/**
 * A signature verification worker thread (started by verifyPool.ts, never on its own). It receives the
 * keyring once, in workerData, then answers each request in the order it arrives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Keyring, type KeyringData } from '../../shared/signing/index.js';
import { verifyRequest, type VerifyRequest, type VerifyResponse } from './verifyChunk.js';

export interface VerifyWorkerData {
  keyring: KeyringData;
}

if (!parentPort) throw new Error('verifyWorker.ts runs as a worker thread of services/detector/verifyPool.ts');
const port = parentPort;
const keyring = new Keyring((workerData as VerifyWorkerData).keyring);

port.on('message', (request: VerifyRequest) => {
  let codes: Uint8Array;
  try {
    codes = verifyRequest(keyring, request);
  } catch (err) {
    port.postMessage({ requestId: request.requestId, error: (err as Error).message.slice(0, 300) } satisfies VerifyResponse);
    return;
  }
  port.postMessage({ requestId: request.requestId, codes } satisfies VerifyResponse, [codes.buffer as ArrayBuffer]);
});
