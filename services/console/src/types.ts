/** The API's shapes, imported as types from the server code that produces them (erased from the bundle). */
import type { FleetView, StoredAlert } from '../../responder/consoleStore.js';
import type { PendingApproval } from '../../responder/approvals.js';
import type { AuditEntry, ChainVerdict } from '../../../shared/response/audit.js';

export type { FleetRow } from '../../responder/consoleStore.js';
export interface Me { name: string; role: 'viewer' | 'responder' }

export interface ConsoleData {
  fleet: FleetView;
  alerts: StoredAlert[];
  approvals: PendingApproval[];
  audit: AuditEntry[];
  chain: ChainVerdict;
  loadedAt: number;
}

export type Act = (method: 'POST', path: string, body?: unknown) => Promise<void>;
