/**
 * The off-hours state's layout, creation and snapshot codec. Version 2 names
 * every field and writes the profile as two arrays of 168 learned values;
 * version 1 (no `version`: the state itself, with two-letter fields and the
 * profile as two plain arrays, before 2026-12-04) is migrated field by field,
 * so an upgrade keeps every agent's hour-of-week profile. Snapshots are input
 * (Redis, a replay file): anything else fails loudly (SnapshotVersionError for
 * an unknown version, an Error naming the field for a malformed one), and the
 * engine refuses the agent's state instead of half-restoring it.
 */
import { SnapshotVersionError } from '../baseline/seriesCodec.js';
import { roundSig } from '../baseline/robust.js';
import { WEEK_HOURS } from '../time.js';
import type { Json } from '../types.js';
import type { OffHoursState } from './offHours.js';

export const OFF_HOURS_CODEC_VERSION = 2;

/** Where each half of the profile starts in `profile`. */
export const EVENTS = 0;
export const HOURS = WEEK_HOURS;

/** A learned value of the profile, as learned (written through roundSig; see OffHoursState.profile). */
export function slotValue(profile: Float32Array, at: number): number {
  return roundSig(profile[at]!);
}

export function createOffHoursState(): OffHoursState {
  return {
    profile: new Float32Array(2 * WEEK_HOURS),
    hour: -1,
    hourEvents: 0,
    hourExpected: 0,
    hourFired: 0,
    hourEnvelope: -1,
    hourAverage: 0,
    bucket: -1,
    bucketEvents: 0,
    threshold: -1,
    bucketExpected: 0,
    bucketFired: 0,
    previousEvents: 0,
    previousExpected: 0,
    lastTs: -1,
    lastSession: null,
    chainEvents: 0,
    chainMean: 1,
  };
}

/** The scalar fields, in snapshot order (each a number). */
const NUMBER_FIELDS = ['hour', 'hourEvents', 'hourExpected', 'hourFired', 'hourEnvelope', 'hourAverage', 'bucket', 'bucketEvents', 'threshold', 'bucketExpected', 'bucketFired', 'previousEvents', 'previousExpected', 'lastTs', 'chainEvents', 'chainMean'] as const;
type NumberField = (typeof NUMBER_FIELDS)[number];

/** Version 1's name of each field. */
const V1_NAMES: Record<NumberField, string> = {
  hour: 'hour',
  hourEvents: 'cnt',
  hourExpected: 'he',
  hourFired: 'hf',
  hourEnvelope: 'hx',
  hourAverage: 'ha',
  bucket: 'b',
  bucketEvents: 'bc',
  threshold: 'thr',
  bucketExpected: 'e',
  bucketFired: 'f',
  previousEvents: 'pc',
  previousExpected: 'pe',
  lastTs: 'lastTs',
  chainEvents: 'chainEvents',
  chainMean: 'chainMean',
};

type Fields = { [key: string]: Json };

function slotValues(profile: Float32Array, from: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < WEEK_HOURS; s++) out.push(slotValue(profile, from + s));
  return out;
}

export function snapshotOffHours(st: OffHoursState): Json {
  const out: Fields = { version: OFF_HOURS_CODEC_VERSION, profileEvents: slotValues(st.profile, EVENTS), profileHours: slotValues(st.profile, HOURS) };
  for (const field of NUMBER_FIELDS) out[field] = st[field];
  out.lastSession = st.lastSession;
  return out;
}

function profileHalf(o: Fields, key: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length !== WEEK_HOURS || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new Error(`off-hours snapshot: ${key} is not ${WEEK_HOURS} numbers`);
  return v as number[];
}

/** Version 1 snapshots from before chains were followed have none of these: the next event starts one, chains of 1 until learned. */
const V1_OPTIONAL: ReadonlySet<NumberField> = new Set(['lastTs', 'chainEvents', 'chainMean']);
const V2_NAMES = Object.fromEntries(NUMBER_FIELDS.map((f) => [f, f])) as Record<NumberField, string>;

function restoreFrom(o: Fields, names: Record<NumberField, string>, optional: ReadonlySet<NumberField>, events: string, hours: string): OffHoursState {
  const st = createOffHoursState();
  st.profile.set(profileHalf(o, events), EVENTS);
  st.profile.set(profileHalf(o, hours), HOURS);
  for (const field of NUMBER_FIELDS) {
    const v = o[names[field]];
    if (v === undefined && optional.has(field)) continue;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`off-hours snapshot: ${names[field]} is not a number`);
    st[field] = v;
  }
  const last = o.lastSession;
  if (last !== undefined && last !== null && typeof last !== 'string') throw new Error('off-hours snapshot: lastSession is not a string or null');
  st.lastSession = last ?? null;
  return st;
}

export function restoreOffHours(json: Json): OffHoursState {
  const o = json as Fields | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new SnapshotVersionError('off-hours', Array.isArray(o) ? 'a bare array' : o, OFF_HOURS_CODEC_VERSION);
  if (o.version === undefined && Array.isArray(o.ev)) return restoreFrom(o, V1_NAMES, V1_OPTIONAL, 'ev', 'hrs');
  if (o.version !== OFF_HOURS_CODEC_VERSION) throw new SnapshotVersionError('off-hours', o.version, OFF_HOURS_CODEC_VERSION);
  return restoreFrom(o, V2_NAMES, new Set(), 'profileEvents', 'profileHours');
}
