/**
 * Data minimisation before anything leaves for the SIEM: emails, payment card
 * numbers (Luhn-checked), phone numbers, API keys and bearer tokens in free
 * text are replaced by a typed marker. Patterns are configurable; the
 * defaults cover the common kinds.
 */
import type { Alert } from '../schemas/generated.js';

export interface RedactionPattern { kind: string; pattern: RegExp; check?: (match: string) => boolean }

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export const DEFAULT_REDACTIONS: RedactionPattern[] = [
  { kind: 'bearer-token', pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]{8,}=*/g },
  { kind: 'api-key', pattern: /\b(?:sk|pk|rk)[-_](?:live|test|proj)?[-_]?[A-Za-z0-9]{16,}\b|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bxox[baprs]-[A-Za-z0-9-]{10,}\b|\bAIza[0-9A-Za-z\-_]{35}\b/g },
  { kind: 'api-key', pattern: /\b(?:api[_-]?key|secret|token|password|passwd)\s*[:=]\s*["']?[^\s"',;]{6,}/gi },
  { kind: 'email', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
  { kind: 'card', pattern: /\b(?:\d[ -]?){12,18}\d\b/g, check: (m) => luhn(m.replace(/[ -]/g, '')) },
  { kind: 'phone', pattern: /(?<![\w.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}[ .-]\d{2,4}[ .-]\d{2,5}(?![\w.])/g },
];

export function redact(text: string, patterns: RedactionPattern[] = DEFAULT_REDACTIONS): string {
  let out = text;
  for (const p of patterns) {
    out = out.replace(p.pattern, (m) => (p.check && !p.check(m) ? m : `[redacted:${p.kind}]`));
  }
  return out;
}

/** A copy of the alert with every free-text field redacted (ids, numbers and enums are left alone). */
export function redactAlert(alert: Alert, patterns: RedactionPattern[] = DEFAULT_REDACTIONS): Alert {
  const r = (s: string) => redact(s, patterns);
  return {
    ...alert,
    title: r(alert.title),
    description: r(alert.description),
    evidence: {
      ...alert.evidence,
      metric: r(alert.evidence.metric),
      details: Object.fromEntries(Object.entries(alert.evidence.details).map(([k, v]) => [k, r(v)])),
    },
  };
}

/** Compiles patterns from configuration ({kind, pattern} with a JavaScript regex source). */
export function compileRedactions(specs: { kind: string; pattern: string; flags?: string }[]): RedactionPattern[] {
  return specs.map((s) => ({ kind: s.kind, pattern: new RegExp(s.pattern, s.flags ?? 'g') }));
}
