/** The documented action vocabulary (see schemas/AgentActionEvent.avsc). Other names are accepted and flagged. */
export const ACTION_VOCABULARY = [
  'tool.call',
  'api.request',
  'data.read',
  'data.write',
  'auth.login',
  'net.egress',
  'payment.transfer',
  'email.send',
  'file.delete',
  'prompt.input',
  'model.output',
  'permission.change',
] as const;

export type KnownAction = (typeof ACTION_VOCABULARY)[number];

const KNOWN = new Set<string>(ACTION_VOCABULARY);

export function isKnownAction(action: string): action is KnownAction {
  return KNOWN.has(action);
}

/** Dotted lower-case names: `data.read`, `crm.ticket_update`. */
export const ACTION_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
