/**
 * The one parser of `--types` and `--benign-kinds` lists (warden simulate, npm run eval): a comma-separated
 * list of known kinds, or a typed error that names the unknown ones and every valid one.
 */
import { WardenError } from '../../../shared/errors/index.js';
import { ALL_INCIDENT_TYPES, type IncidentType } from './incidents.js';
import { BENIGN_KINDS, type BenignKind } from './benign.js';

export class UnknownKindError extends WardenError {
  readonly unknown: string[];
  constructor(option: string, unknown: string[], known: readonly string[]) {
    super('scenario.unknown-kind', `${option}: unknown kind ${unknown.join(', ')}; valid kinds: ${known.join(', ')}`);
    this.unknown = unknown;
  }
}

function parseList<T extends string>(option: string, value: string, known: readonly T[]): T[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((k) => !(known as readonly string[]).includes(k));
  if (unknown.length > 0) throw new UnknownKindError(option, unknown, known);
  return list as T[];
}

export const parseIncidentTypes = (value: string): IncidentType[] => parseList('--types', value, ALL_INCIDENT_TYPES);
export const parseBenignKinds = (value: string): BenignKind[] => parseList('--benign-kinds', value, BENIGN_KINDS);
