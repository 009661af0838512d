/**
 * Escaping for CEF, whose fields carry strings that agents control (agentId,
 * role, tenant, targets, text excerpts). One alert must stay one syslog line
 * with a parseable header, whatever those strings hold. Pure.
 *
 * The CEF spec defines only a few escapes: in the header `\\` and `\|`; in the
 * extension `\\`, `\=`, `\n` and `\r`. Every other character that could break
 * a line, a frame or a terminal (C0 controls incl. TAB, DEL, C1 controls incl.
 * NEL U+0085, the Unicode line and paragraph separators U+2028/U+2029, the
 * bidirectional overrides and isolates that reorder what an analyst sees, and
 * lone UTF-16 surrogates, which have no UTF-8 form) is written as the visible
 * text `\uXXXX`, its backslash escaped as the spec requires (`\\uXXXX`).
 * A CEF parser therefore reads back the six characters `\u001B`: the record
 * keeps its shape, the analyst still sees which character the agent sent,
 * and no receiver ever meets the raw character. (U+FFFD would be as safe but
 * would hide which character it was.) A literal `\u001B` typed by the agent
 * reads back the same way; that ambiguity is the price of staying inside the
 * spec's escapes, and it cannot change the record's structure.
 */

/** Characters never written raw (see above); `u` flag so astral pairs stay whole and lone surrogates match. */
/* eslint-disable no-control-regex -- matching control characters is this file's job */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/u;
const HEADER_SPECIAL = /[\\|\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;
const EXTENSION_SPECIAL = /[\\=\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;
/* eslint-enable no-control-regex */

export const TRUNCATION_MARKER = '…[truncated]';

function visible(c: string): string {
  return `\\\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function escapeHeaderChar(c: string): string {
  if (c === '\\') return '\\\\';
  if (c === '|') return '\\|';
  return visible(c);
}

function escapeExtensionChar(c: string): string {
  if (c === '\\') return '\\\\';
  if (c === '=') return '\\=';
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  return visible(c);
}

/** True when the string holds a character that is never written raw. */
export function hasUnsafeChar(s: string): boolean {
  return UNSAFE.test(s);
}

/** A CEF header field (signature id, name...), escaped and capped at `maxBytes` UTF-8 bytes. */
export function cefHeaderField(s: string, maxBytes: number): string {
  return capped(s, HEADER_SPECIAL, escapeHeaderChar, maxBytes);
}

/** A CEF extension value, escaped and capped at `maxBytes` UTF-8 bytes. CR LF becomes one `\n`. */
export function cefExtensionValue(s: string, maxBytes: number): string {
  return capped(s.replace(/\r\n/g, '\n'), EXTENSION_SPECIAL, escapeExtensionChar, maxBytes);
}

/**
 * Escapes, then caps the escaped text in bytes (the size a receiver limits)
 * without cutting an escape sequence or a surrogate pair, and marks the cut.
 */
function capped(s: string, special: RegExp, escapeChar: (c: string) => string, maxBytes: number): string {
  const escaped = s.replace(special, escapeChar);
  if (Buffer.byteLength(escaped, 'utf8') <= maxBytes) return escaped;
  const budget = maxBytes - Buffer.byteLength(TRUNCATION_MARKER, 'utf8');
  let out = '';
  let bytes = 0;
  for (const c of s) {
    special.lastIndex = 0; // a global regex remembers where it stopped
    const piece = special.test(c) ? escapeChar(c) : c;
    const n = Buffer.byteLength(piece, 'utf8');
    if (bytes + n > budget) break;
    out += piece;
    bytes += n;
  }
  return out + TRUNCATION_MARKER;
}
