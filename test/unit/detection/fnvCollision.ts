/**
 * Names crafted to collide with `target` under the unkeyed FNV-1a (seenSet.ts nameHashA, flowTargets.ts
 * targetHash): what an agent that controls part of a name could compute offline. FNV-1a is steered by the last
 * characters: undo the suffix from the target's hash, then pick two code units that reach that state.
 */
import { nameHashA } from '../../../shared/detection/baseline/seenSet.js';

const PRIME = 0x01000193;
/** The inverse of the FNV prime mod 2^32 (PRIME x PRIME_INVERSE = 1). */
const PRIME_INVERSE = 0x359c449b;

/** `count` names `drop<i>-<x><y>.evil.example` whose unkeyed FNV-1a equals `target`'s; x, y are CJK ideographs (no case). */
export function fnvCollisions(target: string, count = 1): string[] {
  const want = nameHashA(target);
  const suffix = '.evil.example';
  let afterTwo = want;
  for (let i = suffix.length - 1; i >= 0; i--) afterTwo = (Math.imul(afterTwo, PRIME_INVERSE) ^ suffix.charCodeAt(i)) >>> 0;
  const beforeSecond = Math.imul(afterTwo, PRIME_INVERSE) >>> 0; // = (state after x) ^ y
  const out: string[] = [];
  for (let attempt = 0; out.length < count && attempt < 50 * count; attempt++) {
    const prefix = `drop${attempt}-`;
    const before = nameHashA(prefix);
    for (let x = 0x4e00; x < 0x9fff; x++) {
      const y = (Math.imul((before ^ x) >>> 0, PRIME) ^ beforeSecond) >>> 0;
      if (y < 0x4e00 || y > 0x9fff) continue;
      const name = `${prefix}${String.fromCharCode(x, y)}${suffix}`;
      if (name.toLowerCase() === name && nameHashA(name) === want) {
        out.push(name);
        break;
      }
    }
  }
  if (out.length < count) throw new Error(`found ${out.length} of ${count} collisions`);
  return out;
}
