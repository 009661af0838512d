/** Config name -> sink factory. Adding a SIEM is adding a file and a line here. */
import type { WardenConfig } from '../../../shared/config/index.js';
import type { Sink } from '../../../shared/siem/index.js';
import { createElasticBulkSink } from './elasticBulk.js';
import { createSplunkHecSink } from './splunkHec.js';
import { createSyslogSink } from './syslog.js';

type SiemConfig = WardenConfig['siem'];

export const SINKS: { [K in 'splunkHec' | 'elasticBulk' | 'syslog']: (c: NonNullable<SiemConfig[K]>) => Sink } = {
  splunkHec: (c) => createSplunkHecSink(c),
  elasticBulk: (c) => createElasticBulkSink(c),
  syslog: (c) => createSyslogSink(c),
};

export function sinksFromConfig(siem: SiemConfig): Sink[] {
  const out: Sink[] = [];
  for (const key of Object.keys(SINKS) as (keyof typeof SINKS)[]) {
    const c = siem[key];
    // The severity floor is a setting of every sink, applied by the forwarder in one place (service.ts), not by each sink.
    if (c) out.push({ ...(SINKS[key] as (c: unknown) => Sink)(c), minSeverity: c.minSeverity });
  }
  return out;
}
