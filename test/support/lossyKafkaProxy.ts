/**
 * A TCP proxy in front of the real broker that loses chosen Produce responses: the broker writes the batch,
 * the client never hears back, times out and re-sends it. That is the broker-level retry an idempotent
 * producer must not turn into a duplicate. Plugged in through kafkajs's socketFactory, so it also proxies
 * the connections kafkajs opens to the addresses the broker advertises.
 */
import net from 'node:net';
import type { SocketFactory } from '../../shared/kafka/index.js';

const PRODUCE_API_KEY = 0;

export interface LossyKafkaProxy {
  socketFactory: SocketFactory;
  /** Produce requests seen (re-sends included) and Produce responses dropped so far. */
  stats(): { produceRequests: number; droppedResponses: number };
  close(): Promise<void>;
}

/** Splits a Kafka byte stream into frames (int32 size prefix). */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      onFrame(pending.subarray(0, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}

/** Drops the first `dropProduceResponses` Produce responses, across all connections. */
export async function startLossyKafkaProxy(options: { dropProduceResponses: number }): Promise<LossyKafkaProxy> {
  let toDrop = options.dropProduceResponses;
  let produceRequests = 0;
  let droppedResponses = 0;
  // socketFactory names the target of each connection it opens; the proxy takes them in the order they connect
  // (one broker in the local stack, so the order cannot mix them up).
  const targets: { host: string; port: number }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const target = targets.shift();
    if (!target) return client.destroy();
    const broker = net.connect(target);
    sockets.add(client).add(broker);
    const produceIds = new Set<number>();
    // Request header: size, apiKey (int16), apiVersion (int16), correlationId (int32).
    client.on('data', framer((frame) => {
      if (frame.readInt16BE(4) === PRODUCE_API_KEY) {
        produceRequests += 1;
        produceIds.add(frame.readInt32BE(8));
      }
      broker.write(frame);
    }));
    // Response header: size, correlationId (int32).
    broker.on('data', framer((frame) => {
      const correlationId = frame.readInt32BE(4);
      if (produceIds.delete(correlationId) && toDrop > 0) {
        toDrop -= 1;
        droppedResponses += 1;
        return;
      }
      client.write(frame);
    }));
    const end = () => {
      client.destroy();
      broker.destroy();
      sockets.delete(client);
      sockets.delete(broker);
    };
    client.on('close', end).on('error', end);
    broker.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxyPort = (server.address() as net.AddressInfo).port;

  return {
    socketFactory: ({ host, port, onConnect }) => {
      targets.push({ host, port });
      const socket = net.connect({ host: '127.0.0.1', port: proxyPort }, onConnect);
      socket.setKeepAlive(true, 60_000);
      return socket;
    },
    stats: () => ({ produceRequests, droppedResponses }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
