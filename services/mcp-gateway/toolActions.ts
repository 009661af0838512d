/** The gateway's tool-action mapping: the one otel-ingest uses (shared/ingest, rules/tool-actions.yaml). */
import { loadToolActions } from '../../shared/ingest/toolActions.js';
import type { ToolActionMapper } from './calls.js';

export function loadMapper(file?: string): ToolActionMapper {
  return loadToolActions(file);
}
