/**
 * The benign changes of issue 11 ("How it is shown"): legitimate shifts a
 * detector must absorb, each with an alert budget. Pure data (benign.ts lists
 * them with its own kinds; benignChanges.ts makes them).
 */
export const BENIGN_CHANGE_KINDS = ['peer-adoption', 'dst-shift', 'holiday', 'new-agent-like-peers', 'clock-skew'] as const;
export type BenignChangeKind = (typeof BENIGN_CHANGE_KINDS)[number];

export const BENIGN_CHANGE_BUDGET: Record<BenignChangeKind, number> = {
  'peer-adoption': 1,
  'dst-shift': 1,
  holiday: 1,
  // While it learns, a new agent is judged against its role's profile scaled to its own level; an agent drawn
  // at the edge of its role (a busier or quieter mix) may trip one alert before its own baseline exists.
  'new-agent-like-peers': 1,
  'clock-skew': 1,
};
