/**
 * The engine's side of findings about groups of agents (Finding.subject: group-series' role and tenant totals).
 * They are not the raising agent's incidents: each subject has its own incident book (same cooldown, same
 * deterministic alert ids, keyed by the subject's id), expired as the engine's event time moves on. This state
 * and the detectors' cross-agent state (`Detector.shared`) are one snapshot, apart from every agent's:
 * `snapshot()` -> JSON (version GROUPS_SNAPSHOT_VERSION) -> `restore()`, or as bytes through the agent codec
 * (snapshotBytes.ts). The number of books is bounded by the detectors' own group caps (one book per group that
 * ever alerted, dropped when its incidents expire).
 */
import type { Alert } from '../../schemas/generated.js';
import { SnapshotVersionError } from '../baseline/seriesCodec.js';
import type { RuleDef } from '../rules/schema.js';
import type { Detector, Finding, FindingSubject, Json } from '../types.js';
import { expireIncidents, recordFinding, type Incident, type IncidentBook } from './incidents.js';

export const GROUPS_SNAPSHOT_VERSION = 1;

export interface GroupsSnapshot {
  v: typeof GROUPS_SNAPSHOT_VERSION;
  /** Detector name -> its cross-agent state. */
  detectors: { [name: string]: Json };
  /** [subject id, subject, [incident key, incident][]] */
  incidents: [string, FindingSubject, [string, Incident][]][];
}

export interface GroupIncidents {
  record(f: Finding & { subject: FindingSubject }, rule: RuleDef, incidentKey: string, now: number, out: Alert[]): void;
  expire(now: number, out: Alert[]): void;
  snapshot(): GroupsSnapshot;
  restore(snap: GroupsSnapshot): void;
  /** Each sharing detector's counters (groups, overflow). */
  stats(): { [detector: string]: Record<string, number> };
}

export function createGroupIncidents(detectors: readonly Detector<unknown>[], bucketMs: number, cooldownMs: number): GroupIncidents {
  const books = new Map<string, { subject: FindingSubject; book: IncidentBook }>();
  const sharing = detectors.filter((d) => d.shared);
  return {
    record(f, rule, incidentKey, now, out) {
      let entry = books.get(f.subject.agentId);
      if (!entry) {
        entry = { subject: { ...f.subject }, book: new Map() };
        books.set(f.subject.agentId, entry);
      }
      recordFinding(entry.book, incidentKey, f, rule, f.subject, now, bucketMs, cooldownMs, out);
    },
    expire(now, out) {
      for (const [id, entry] of books) {
        expireIncidents(entry.book, now, cooldownMs, out);
        if (entry.book.size === 0) books.delete(id);
      }
    },
    snapshot() {
      const detectorsJson: { [name: string]: Json } = {};
      for (const d of sharing) detectorsJson[d.name] = d.shared!.snapshot();
      return { v: GROUPS_SNAPSHOT_VERSION, detectors: detectorsJson, incidents: [...books].map(([id, e]) => [id, { ...e.subject }, [...e.book].map(([k, inc]) => [k, { ...inc }])]) };
    },
    restore(snap) {
      if (!snap || snap.v !== GROUPS_SNAPSHOT_VERSION) throw new SnapshotVersionError('groups', (snap as { v?: unknown } | null)?.v, GROUPS_SNAPSHOT_VERSION);
      // The books are replaced only once every detector's state has been read (a malformed one throws first).
      const restorers = sharing.map((d) => () => {
        const s = snap.detectors[d.name];
        if (s !== undefined) d.shared!.restore(s);
      });
      const next = new Map(snap.incidents.map(([id, subject, entries]) => [id, { subject: { ...subject }, book: new Map(entries.map(([k, inc]) => [k, { ...inc }])) as IncidentBook }]));
      for (const r of restorers) r();
      books.clear();
      for (const [id, e] of next) books.set(id, e);
    },
    stats() {
      const out: { [detector: string]: Record<string, number> } = {};
      for (const d of sharing) out[d.name] = d.shared!.stats();
      return out;
    },
  };
}
