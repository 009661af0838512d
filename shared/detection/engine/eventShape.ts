/**
 * The one object shape the detectors read events in. Callers hand the engine events of many shapes: avsc's record
 * instances with `verification` assigned on (the detector), spreads of them (the evaluations), JSON objects (replay),
 * generator literals whose fields come in several orders. V8 gives each shape its own hidden class, and every field
 * read in every detector then goes through a polymorphic or megamorphic lookup. Copying the event once into a
 * literal with a fixed field order makes the engine's hundreds of field reads per event monomorphic: on the week
 * workload, Avro-decoded events as the detector builds them, 1.2-1.4x the events/s for one allocation per event
 * (bench/RESULTS.md, "Pure engine").
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
