#!/usr/bin/env node
/**
 * The SIEM forwarder process: `node dist/services/siem-forwarder/main.js` or `warden run siem-forwarder`.
 * Sinks are enabled by configuration (siem.splunkHec, siem.elasticBulk,
 * siem.syslog, or WARDEN_SPLUNK_HEC_URL/_TOKEN, WARDEN_ELASTIC_URL,
 * WARDEN_SYSLOG_HOST/_PORT); siem.alerts is always written.
 * WARDEN_METRICS_PORT (default 9466), WARDEN_SIEM_FORWARDER_GROUP (default warden-siem-forwarder).
 */
import { isEntryPoint, runService, type ServiceDefinition } from '../common/run.js';
import { SiemForwarder } from './service.js';
import { sinksFromConfig } from './sinks/registry.js';

export const siemForwarder: ServiceDefinition = {
  name: 'siem-forwarder',
  defaultPort: 9466,
  start: async ({ config, logger }) => {
    const forwarder = new SiemForwarder({ config, logger, sinks: sinksFromConfig(config.siem), groupId: process.env.WARDEN_SIEM_FORWARDER_GROUP });
    await forwarder.start();
    return { get ready() { return forwarder.ready; }, registry: forwarder.registry, stop: () => forwarder.stop() };
  },
};

if (isEntryPoint(import.meta.url)) await runService(siemForwarder);
