/**
 * Metrics with prom-client. Get-or-create, so two components in one process
 * (two SDK instances, a service and its tests) share a metric instead of
 * failing on a duplicate registration.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Registry };

export const defaultRegistry = new Registry();

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = [], registry = defaultRegistry): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], registry = defaultRegistry): Gauge<L> {
  return (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogram<L extends string>(name: string, help: string, buckets: number[], labelNames: readonly L[] = [], registry = defaultRegistry): Histogram<L> {
  return (registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram({ name, help, buckets, labelNames, registers: [registry] });
}

let defaultsOn = false;
/** Process metrics (CPU, heap, event loop lag) for services; once per process. */
export function enableProcessMetrics(registry = defaultRegistry): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: registry });
}
