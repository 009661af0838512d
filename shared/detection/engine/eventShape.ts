/**
 * The one object shape the detectors read events in. Callers hand the engine events of many shapes: avsc's record
 * instances with `verification` assigned on (the detector), spreads of parsed JSON (replay), generator literals
 * whose fields come in several orders (the evaluations). V8 gives each shape its own hidden class, and every field
 * read in every detector then goes through a polymorphic or megamorphic lookup. Copying the event once into a
 * literal with a fixed field order makes the engine's field reads monomorphic, for one allocation per event: on the
 * week workload, Avro-decoded as the detector builds them, 1.11x and 1.22x the events/s in two alternating runs of
 * bench/engine.ts (with three smaller changes of the same day; bench/RESULTS.md, "Pure engine").
 */
import type { DetectionEvent } from '../types.js';

export function inEngineShape(event: DetectionEvent): DetectionEvent {
  return {
    eventId: event.eventId,
    agentId: event.agentId,
    agentRole: event.agentRole,
    tenantId: event.tenantId,
    sessionId: event.sessionId,
    principal: event.principal,
    timestamp: event.timestamp,
    seq: event.seq,
    action: event.action,
    resource: event.resource,
    target: event.target,
    outcome: event.outcome,
    bytesIn: event.bytesIn,
    bytesOut: event.bytesOut,
    records: event.records,
    tokens: event.tokens,
    amount: event.amount,
    currency: event.currency,
    text: event.text,
    attributes: event.attributes,
    verification: event.verification,
  };
}
