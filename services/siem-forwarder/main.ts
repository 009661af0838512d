#!/usr/bin/env node
/**
 * The SIEM forwarder process: `node dist/services/siem-forwarder/main.js`.
 * Sinks are enabled by configuration (siem.splunkHec, siem.elasticBulk,
 * siem.syslog, or WARDEN_SPLUNK_HEC_URL/_TOKEN, WARDEN_ELASTIC_URL,
 * WARDEN_SYSLOG_HOST/_PORT); siem.alerts is always written.
 * WARDEN_METRICS_PORT (default 9466).
 */
import { runService } from '../common/run.js';
import { SiemForwarder } from './service.js';
import { sinksFromConfig } from './sinks/registry.js';

await runService('siem-forwarder', 9466, async ({ config, logger }) => {
  const forwarder = new SiemForwarder({ config, logger, sinks: sinksFromConfig(config.siem) });
  await forwarder.start();
  return { get ready() { return forwarder.ready; }, registry: forwarder.registry, stop: () => forwarder.stop() };
});
