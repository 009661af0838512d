/**
 * Tool-call arguments (`gen_ai.tool.call.arguments`, opt-in in OpenTelemetry: kept only when present):
 * the text the injection detector reads, and the few facts an event carries as fields (where the call
 * goes, a payment's amount and currency). Bounded: a huge or deeply nested argument costs bounded time.
 */
import type { AttributeValue } from './otlp/spans.js';

const MAX_PARSE_CHARS = 65_536;
const MAX_WALK = 200;

export interface ToolArguments {
  /** The arguments as text (JSON when they were structured), unredacted: the caller redacts and cuts. */
  text?: string;
  value?: AttributeValue;
  amount?: number;
  currency?: string;
}

export function extractArguments(raw: AttributeValue | undefined): ToolArguments {
  if (raw === undefined || raw === null || raw === '') return {};
  let value: AttributeValue = raw;
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
    if (raw.length <= MAX_PARSE_CHARS) {
      try {
        value = JSON.parse(raw) as AttributeValue;
      } catch {
        value = raw; // free text, not JSON
      }
    }
  } else {
    text = JSON.stringify(raw);
  }
  const out: ToolArguments = { text, value };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const amount = typeof value.amount === 'number' ? value.amount : typeof value.amount === 'string' && /^\d+(\.\d+)?$/.test(value.amount) ? Number(value.amount) : undefined;
    if (amount !== undefined && Number.isFinite(amount)) out.amount = amount;
    const currency = typeof value.currency === 'string' ? value.currency.toUpperCase() : undefined;
    if (currency && /^[A-Z]{3}$/.test(currency)) out.currency = currency;
  }
  return out;
}

/** The host of the first URL among the argument values, else the domain of the first email address. */
export function targetFromArguments(value: AttributeValue | undefined): string | undefined {
  const strings: string[] = [];
  const stack: AttributeValue[] = value === undefined ? [] : [value];
  let seen = 0;
  while (stack.length > 0 && seen++ < MAX_WALK) {
    const v = stack.pop()!;
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) stack.push(...v.slice(0, MAX_WALK).reverse());
    else if (v && typeof v === 'object') stack.push(...Object.values(v).slice(0, MAX_WALK).reverse());
  }
  for (const s of strings) {
    const m = /\bhttps?:\/\/[^\s"'<>]+/i.exec(s);
    if (!m) continue;
    try {
      const host = new URL(m[0]).hostname;
      if (host) return host.slice(0, 512);
    } catch {
      // not a URL after all
    }
  }
  for (const s of strings) {
    const m = /\b[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b/.exec(s);
    if (m) return m[1]!.toLowerCase().slice(0, 512);
  }
  return undefined;
}
