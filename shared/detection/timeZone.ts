/**
 * Time zones: an agent's local time for every hour-of-day, hour-of-week and
 * day-class computation (seasonal profiles, peer profiles, off-hours, slow
 * ramp). A zone is an IANA name (`Asia/Tokyo`, whose offset changes with
 * daylight saving) or a fixed offset (`+09:00`, `UTC-05:30`). Rules name one
 * per role and per agent (`engine.timezones`); the engine resolves an agent's
 * zone once, when its slot is made (and again on restore: the zone is config,
 * never part of a snapshot), and hands it to the detectors in the context.
 *
 * The hot path asks for offsets per bucket, not per event, and never calls Intl
 * per call: an IANA zone keeps the offset of each quarter hour it was asked
 * about (one Intl call per zone per quarter hour ever seen, shared by every
 * agent in that zone; modern tz rules change offsets only on quarter hours).
 * Offsets come from the runtime's ICU time-zone data (Node's build).
 */

const MINUTE_MS = 60_000;
const QUARTER_MS = 15 * MINUTE_MS;
/** Quarter hours remembered per zone (~11 years); past that the memory starts afresh. */
const MAX_CACHED_QUARTERS = 400_000;
const FIXED_OFFSET = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;
const MAX_OFFSET_MINUTES = 14 * 60;

export interface TimeZone {
  /** As configured, canonical: `Asia/Tokyo`, `+09:00`, `UTC`. */
  readonly name: string;
  /** Local time minus UTC at `ts` (epoch ms), in ms. */
  offsetAt(ts: number): number;
}

/** A fixed offset from UTC. */
export function fixedZone(offsetMinutes: number): TimeZone {
  const offsetMs = offsetMinutes * MINUTE_MS;
  return { name: offsetName(offsetMinutes), offsetAt: () => offsetMs };
}

export const UTC: TimeZone = Object.freeze({ name: 'UTC', offsetAt: () => 0 });

function offsetName(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Minutes of a fixed offset (`+09:00`, `-0530`, `UTC+9`), or null when `text` is not one. */
function parseFixedOffset(text: string): number | null {
  if (/^(UTC|GMT|Z)$/i.test(text)) return 0;
  const m = FIXED_OFFSET.exec(text);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (Number(m[3] ?? 0) >= 60 || minutes > MAX_OFFSET_MINUTES) return null;
  return m[1] === '-' ? -minutes : minutes;
}

class IanaZone implements TimeZone {
  private readonly format: Intl.DateTimeFormat;
  private readonly byQuarter = new Map<number, number>();
  private lastQuarter = NaN;
  private lastOffset = 0;

  constructor(readonly name: string, format: Intl.DateTimeFormat) {
    this.format = format;
  }

  offsetAt(ts: number): number {
    const quarter = Math.floor(ts / QUARTER_MS);
    if (quarter === this.lastQuarter) return this.lastOffset;
    let offset = this.byQuarter.get(quarter);
    if (offset === undefined) {
      if (this.byQuarter.size >= MAX_CACHED_QUARTERS) this.byQuarter.clear();
      offset = this.compute(quarter * QUARTER_MS);
      this.byQuarter.set(quarter, offset);
    }
    this.lastQuarter = quarter;
    this.lastOffset = offset;
    return offset;
  }

  /** The wall-clock fields at `ts` (a whole quarter hour) read back as if they were UTC, minus `ts`. */
  private compute(ts: number): number {
    const f: Record<string, number> = {};
    for (const part of this.format.formatToParts(ts)) if (part.type !== 'literal') f[part.type] = Number(part.value);
    const wall = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour! % 24, f.minute!, f.second!);
    return Math.round((wall - ts) / MINUTE_MS) * MINUTE_MS;
  }
}

function ianaFormat(name: string): Intl.DateTimeFormat | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    return null;
  }
}

/** Why `text` is not a time zone (null: it is one). The rules schema reports it at the key that holds it. */
export function timeZoneProblem(text: string): string | null {
  if (parseFixedOffset(text) !== null || ianaFormat(text) !== null) return null;
  return `unknown time zone ${JSON.stringify(text)}: expected an IANA name such as 'Asia/Tokyo' or 'America/New_York', or a fixed offset such as '+09:00' or 'UTC-05:30'`;
}

/** The zone named `text` (throws RangeError for an unknown one: rules are validated before this is called). */
export function parseTimeZone(text: string): TimeZone {
  const fixed = parseFixedOffset(text);
  if (fixed !== null) return fixed === 0 ? UTC : fixedZone(fixed);
  const format = ianaFormat(text);
  if (format === null) throw new RangeError(timeZoneProblem(text)!);
  return new IanaZone(format.resolvedOptions().timeZone, format);
}

export interface TimeZoneRules {
  default: string;
  roles: Record<string, string>;
  agents: Record<string, string>;
}

/**
 * The zone of an agent: its own entry, else its role's, else the default. Zones are made once per name, so every
 * agent of a zone shares one offset cache, and agents of one role with a role-level zone share one local clock,
 * which keeps the role's peer profile aligned.
 */
export function createZoneResolver(zones: TimeZoneRules): (agentId: string, role: string) => TimeZone {
  const byName = new Map<string, TimeZone>();
  const zone = (name: string): TimeZone => {
    let z = byName.get(name);
    if (z === undefined) byName.set(name, (z = parseTimeZone(name)));
    return z;
  };
  const own = (map: Record<string, string>, key: string): string | undefined => (Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined);
  return (agentId, role) => zone(own(zones.agents, agentId) ?? own(zones.roles, role) ?? zones.default);
}
