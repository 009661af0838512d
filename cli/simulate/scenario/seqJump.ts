/**
 * The seq-jump evasion (issue 11): with the agent's stolen key, one validly
 * signed event whose seq is far ahead, meant to make every later genuine
 * event look replayed (and so kept from the other detectors), then an
 * exfiltration by the compromised agent. Detected means the exfiltration's
 * alert (DETECTORS_FOR['seq-jump']): the jump must blind nothing. Variants:
 * `far` (+10^13 µs, which impersonation.seq-jump reports) and `near` (+1 h
 * to +1 day of µs, under the report threshold, which must not blind either).
 * The exfiltration is the exfil-volume incident's, unchanged.
 */
import { HOUR_MS, DAY_MS } from './fleet.js';
import { injectOwn, type AgentTrack, type LateInjection } from './incidents.js';
import { makeEvent, randomAction, type GenEvent } from './traffic.js';

const FAR_JUMP_US = 1e13;

export interface SeqJumpInjection {
  /** The exfiltration: the agent's own signed events. */
  own: GenEvent[];
  /** The jump: needs the agent's numbered stream. */
  late: LateInjection;
}

export function injectSeqJump(t: AgentTrack, start: number, startTs: number): SeqJumpInjection {
  // Forks: the agent's own random stream (and so every other incident on it) stays as it was.
  const rng = t.rng.fork(0x5e01);
  const far = rng.chance(0.5);
  const exfilStart = start + Math.round(rng.uniform(60, 240)) * 1000;
  const exfil = injectOwn('exfil-volume', { ...t, rng: t.rng.fork(0x5e02) }, exfilStart, startTs);
  const variant = `${far ? 'far' : 'near'}/${exfil.variant}`;
  return {
    own: exfil.own ?? [],
    late: (events) => {
      const before = events.filter((e) => e.timestamp < start);
      const lastSeq = before.length > 0 ? before[before.length - 1]!.seq : 0;
      const jump = makeEvent(t.agent, rng, start, randomAction(t.agent, rng));
      jump.seq = lastSeq + (far ? FAR_JUMP_US : Math.round(rng.uniform(HOUR_MS, DAY_MS)) * 1000);
      return { arrivals: [{ arrival: start, event: jump }], end: exfil.end, variant };
    },
  };
}
