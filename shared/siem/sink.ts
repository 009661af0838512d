/**
 * The one interface every SIEM sink implements (Falcosidekick-style: adding a
 * SIEM is adding a file). A sink reports per alert: delivered, dead-lettered
 * (permanently refused), or failed retriably (the batch is tried again).
 */
import type { Alert, Severity } from '../schemas/generated.js';

export interface FormattedAlert { alert: Alert; ocsf: Record<string, unknown> }

export interface SinkResult {
  delivered: string[];
  deadLettered: { alertId: string; reason: string }[];
  /** Alert ids to try again (429, 5xx, connection refused...). */
  retry: string[];
}

export interface Sink {
  readonly name: string;
  /** The least severe alert it receives (config `siem.<sink>.minSeverity`, set by the forwarder's registry); default INFO: all. */
  readonly minSeverity?: Severity;
  send(batch: FormattedAlert[]): Promise<SinkResult>;
  close?(): Promise<void>;
}

/** 429 and 5xx are worth retrying; other 4xx will not get better. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}
