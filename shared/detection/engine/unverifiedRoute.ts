/**
 * Where unverified events go: to the unverified aggregators of the detectors
 * that declare `acceptsUnverified` (detectors/registry.ts), and nowhere else.
 * No detector's `update` ever sees one and no agent slot is made for one, so
 * an unsigned or forged event cannot train a baseline or move a clock.
 *
 * Every alert that comes back is tagged `warden:unverified` here, whatever
 * the aggregator did: the response gate (shared/response) never isolates
 * anyone for such an alert, so a detector that forgot the tag still cannot
 * let a forger isolate the agent it impersonates.
 */
import type { Alert } from '../../schemas/generated.js';
import type { DetectionEvent } from '../types.js';
import { UNVERIFIED_TAG, type UnverifiedAggregator, type UnverifiedSource, type UnverifiedStats } from '../unverified.js';

function tagged(alerts: Alert[], out: Alert[]): Alert[] {
  for (const a of alerts) out.push(a.tags.includes(UNVERIFIED_TAG) ? a : { ...a, tags: [...a.tags, UNVERIFIED_TAG] });
  return out;
}

/** One aggregator over all of them (none: unverified events are only counted by the engine). */
export function routeUnverified(aggregators: readonly UnverifiedAggregator[]): UnverifiedAggregator {
  return {
    observe(event: DetectionEvent, source: UnverifiedSource): Alert[] {
      const out: Alert[] = [];
      if (event.verification === 'valid') return out;
      for (const a of aggregators) tagged(a.observe(event, source), out);
      return out;
    },
    flush(atMs: number): Alert[] {
      const out: Alert[] = [];
      for (const a of aggregators) tagged(a.flush(atMs), out);
      return out;
    },
    stats(): UnverifiedStats {
      // Summed: with one aggregator (today) these are its own figures.
      const sum: UnverifiedStats = { events: 0, trackedAgents: 0, overflowEvents: 0, overflowEventsTotal: 0, alerts: 0 };
      for (const a of aggregators) {
        const s = a.stats();
        sum.events += s.events;
        sum.trackedAgents += s.trackedAgents;
        sum.overflowEvents += s.overflowEvents;
        sum.overflowEventsTotal += s.overflowEventsTotal;
        sum.alerts += s.alerts;
      }
      return sum;
    },
  };
}
