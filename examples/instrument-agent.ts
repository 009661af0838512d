/**
 * Instrument your agent: the complete example from the README.
 * Run it against the local stack:  npm run stack:up && npx tsx examples/instrument-agent.ts
 */
import { AgentQuarantinedError, Keyring, createAgentTelemetry } from '../shared/telemetry/index.js';

// In production the keyring comes from a secret store: WARDEN_KEYRING_FILE=/run/secrets/warden-keyring.json
// holding {"<agentId>": {"<kid>": "<secret>"}}. This example makes a throwaway key.
const keyring = process.env.WARDEN_KEYRING_FILE || process.env.WARDEN_KEYRING
  ? Keyring.load()
  : new Keyring({ 'support-bot-1': { '2026-11': `example-only-${process.pid}-${Date.now()}` } });

const telemetry = await createAgentTelemetry({
  agentId: 'support-bot-1',
  agentRole: 'support',
  tenantId: 'acme',
  keyring,
  overflow: 'block', // or 'drop-oldest': never blocks the agent, every drop is counted
  // No quarantine feed for 30 s: refuse guarded calls. Commands count only when signed by a key of
  // WARDEN_COMMAND_PUBLIC_KEYS_FILE (with none configured: the local dev keypair in .warden/).
  killSwitch: { failClosedAfterMs: 30_000 },
});

telemetry.onStateChange((state) => console.log(`isolation state: ${state.mode} ${state.reason}`));

// Every action the agent takes is one event. Sensitive actions also go through guard():
// it refuses while the agent is quarantined, or while this capability is throttled.
async function lookUpCustomer(id: string): Promise<string> {
  return telemetry.guard('data.read', async () => {
    await telemetry.emit({ action: 'data.read', resource: 'crm.customers', records: 1, bytesOut: 512, text: `lookup ${id}` });
    return `customer ${id}`;
  });
}

try {
  console.log(await lookUpCustomer('17'));
  await telemetry.emit({ action: 'email.send', target: 'example.com', bytesOut: 2_048 });
} catch (err) {
  if (err instanceof AgentQuarantinedError) console.error(`refused: ${err.message}`);
  else throw err;
} finally {
  await telemetry.close(); // flushes what is buffered
  console.log('stats', telemetry.stats());
}
