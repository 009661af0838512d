/**
 * Publishes many agents' events at once, as their SDKs would (Avro through the
 * registry, keyed by agentId, HMAC-signed with each agent's key), for the
 * simulator, the demo, benchmarks and tests. It can also forge: leave the
 * signature off, sign with a wrong key, or name an unknown key id — what an
 * impostor would do.
 */
import type { WardenConfig } from '../../shared/config/index.js';
import { createProducer, type KafkaClient, type Message, type Producer } from '../../shared/kafka/index.js';
import { createRegistry, registerSchemas, type SchemaIds } from '../../shared/registry/index.js';
import type { AgentActionEvent } from '../../shared/schemas/generated.js';
import { HEADER_KID, HEADER_SIG, hmacSha256, signHeaders, type Keyring } from '../../shared/signing/index.js';
import avro from 'avsc';
import { avroSchemas } from '../../shared/schemas/generated.js';

export type Forgery = 'missing' | 'invalid' | 'unknown-key';

export interface OutgoingEvent { event: AgentActionEvent; forge?: Forgery }

export class FleetPublisher {
  readonly #type = avro.Type.forSchema(avroSchemas.AgentActionEvent as unknown as avro.Schema);
  #producer: Producer;
  #ids: SchemaIds | null = null;
  sent = 0;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly config: WardenConfig,
    private readonly keyring: Keyring,
  ) {
    this.#producer = createProducer(kafka);
  }

  async connect(): Promise<void> {
    this.#ids = await registerSchemas(createRegistry(this.config), this.config);
    await this.#producer.connect();
  }

  /** Encodes like the registry client does (magic byte, schema id, Avro body), without a promise per record. */
  encode(event: AgentActionEvent): Buffer {
    const body = this.#type.toBuffer(event);
    const out = Buffer.allocUnsafe(body.length + 5);
    out[0] = 0;
    out.writeInt32BE(this.#ids!.events, 1);
    body.copy(out, 5);
    return out;
  }

  message(o: OutgoingEvent): Message {
    const value = this.encode(o.event);
    let headers: Record<string, string>;
    switch (o.forge) {
      case undefined:
        headers = signHeaders(this.keyring, o.event.agentId, value);
        break;
      case 'missing':
        headers = {};
        break;
      case 'invalid':
        headers = { [HEADER_KID]: this.keyring.activeKid(o.event.agentId) ?? 'k1', [HEADER_SIG]: hmacSha256(Buffer.from('not-the-agents-key-at-all'), value).toString('base64') };
        break;
      case 'unknown-key':
        headers = { [HEADER_KID]: 'stolen-kid', [HEADER_SIG]: hmacSha256(Buffer.from('attacker-key-0123456789'), value).toString('base64') };
        break;
    }
    return { key: o.event.agentId, value, headers };
  }

  /** Sends in chunks with acks=-1; resolves when Kafka has them all. */
  async publish(events: OutgoingEvent[], chunk = 2000): Promise<void> {
    for (let i = 0; i < events.length; i += chunk) {
      await this.sendRaw(events.slice(i, i + chunk).map((o) => this.message(o)));
    }
  }

  async sendRaw(messages: Message[]): Promise<void> {
    await this.#producer.send({ topic: this.config.topics.events.name, acks: -1, messages });
    this.sent += messages.length;
  }

  async disconnect(): Promise<void> {
    await this.#producer.disconnect();
  }
}
