/**
 * The SIEM hears about an isolation only when the responder signed it: a
 * forged RELEASE or QUARANTINE on agent.quarantine must not reach the SOC as
 * "what was done about this agent". It goes to the DLQ with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiemForwarder } from '../../services/siem-forwarder/service.js';
import { DLQ_HEADERS } from '../../shared/kafka/deadLetter.js';
import { command, encodeCommand, publishCommands, publishRecords } from '../support/commands.js';
import { readTopic } from '../support/detector.js';
import { isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

const config = isolatedConfig('sec-siem-cmd', { quarantine: 1, siem: 1, dlq: 1 });

describe('SIEM forwarder and agent.quarantine', () => {
  let forwarder: SiemForwarder;
  beforeAll(async () => {
    await provisionTopics(config);
    forwarder = new SiemForwarder({ config, logger: testLogger, sinks: [], maxBackoffMs: 200 });
    await forwarder.start();
  });
  afterAll(async () => forwarder?.stop());

  it('forwards signed commands only; unsigned, tombstone and moved commands are dead-lettered', async () => {
    const genuine = command('billing-01', { commandId: 'genuine-quarantine' });
    const forged = command('billing-01', { type: 'RELEASE', commandId: 'forged-release' });
    const other = command('other-agent', { type: 'RELEASE', commandId: 'moved-release' });
    await publishRecords(config, [
      { key: 'billing-01', value: await encodeCommand(config, forged) }, // no signature
      { key: 'billing-01', value: null }, // a tombstone
    ]);
    // A genuine, signed command for another agent, moved under billing-01's key with its headers.
    await publishCommands(config, [other]);
    const otherRecord = (await readTopic(config, config.topics.quarantine.name, 3)).find((m) => m.key?.toString() === 'other-agent')!;
    await publishRecords(config, [{ key: 'billing-01', value: otherRecord.value, headers: otherRecord.headers as Record<string, Buffer> }]);
    await publishCommands(config, [genuine]);

    const siem = await readTopic(config, config.topics.siem.name, 2);
    const ids = siem.map((m) => m.headers?.['warden-command-id']?.toString());
    expect(ids.sort()).toEqual(['genuine-quarantine', 'moved-release']); // other-agent's own record is genuine
    const dead = await readTopic(config, config.topics.dlq.name, 3);
    expect(dead.map((m) => [m.key?.toString(), m.headers?.[DLQ_HEADERS.reason]?.toString(), m.headers?.[DLQ_HEADERS.detail]?.toString().split(':')[0]])).toEqual([
      ['billing-01', 'command.unverified', 'unsigned'],
      ['billing-01', 'command.unverified', 'unsigned'],
      ['billing-01', 'command.unverified', 'bad-signature'],
    ]);
  });
});
