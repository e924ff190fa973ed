// Where the cursor is in a plan: inside a key, a style value, or a shardplan field.
import { getLocation } from 'jsonc-parser';
import type { Plan, PlanEntry, TextRange } from '../plan/types';
import type { Analysis } from './analyze';

export type CursorPlace =
  | { kind: 'plan-key'; plan: Plan; typed: string; range: TextRange; entry?: PlanEntry }
  | { kind: 'plan-value'; plan: Plan; typed: string; range: TextRange; entry?: PlanEntry }
  | { kind: 'shardplan-key'; path: (string | number)[]; typed: string; range: TextRange }
  /** A value of a *.shardplan.json field other than a plan: expert_parallel dims, run.dtype ... */
  | { kind: 'shardplan-value'; path: (string | number)[]; typed: string; range: TextRange }
  | { kind: 'none' };

/** The string literal around `offset` on its line: its opening quote and the text typed so far. */
function stringAround(text: string, offset: number): { open: number; close: number; quote: string } | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let open = -1;
  let quote = '';
  for (let i = lineStart; i < offset; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (open < 0 && (ch === '"' || ch === "'")) {
      open = i;
      quote = ch;
    } else if (open >= 0 && ch === quote) open = -1;
  }
  if (open < 0) return undefined;
  let close = offset;
  while (close < text.length && text[close] !== quote && text[close] !== '\n') close++;
  return { open, close: text[close] === quote ? close : offset, quote };
}

export function cursorPlace(a: Analysis, offset: number): CursorPlace {
  const text = a.text;
  if (a.doc.format !== 'python') {
    const loc = getLocation(text, offset);
    const s = stringAround(text, offset);
    const typed = s ? text.slice(s.open + 1, offset) : '';
    const range = s ? { start: s.open + 1, end: s.close } : { start: offset, end: offset };
    const planName = typeof loc.path[0] === 'string' ? loc.path[0] : '';
    const plan = a.doc.plans.find((p) => p.name === planName);
    if (plan && loc.path.length === 2) {
      const entry = plan.entries.find((e) => offset >= e.keyRange.start && offset <= e.valueRange.end);
      return loc.isAtPropertyKey ? { kind: 'plan-key', plan, typed, range, entry } : { kind: 'plan-value', plan, typed, range, entry };
    }
    if (plan && loc.path.length === 1 && !loc.isAtPropertyKey && a.doc.format === 'json') return { kind: 'none' };
    if (a.doc.format === 'shardplan' && loc.isAtPropertyKey) return { kind: 'shardplan-key', path: loc.path.slice(0, -1), typed, range };
    if (a.doc.format === 'shardplan' && !plan && s) return { kind: 'shardplan-value', path: loc.path, typed, range };
    if (a.doc.format === 'json' && loc.path.length === 1) {
      const p = a.doc.plans[0];
      if (p) return loc.isAtPropertyKey ? { kind: 'plan-key', plan: p, typed, range } : { kind: 'plan-value', plan: p, typed, range };
    }
    return { kind: 'none' };
  }
  const plan = a.doc.plans.find((p) => p.kind !== 'pp' && !p.auto && offset > p.range.start && offset < p.range.end);
  if (!plan) return { kind: 'none' };
  const s = stringAround(text, offset);
  if (!s) return { kind: 'none' };
  let i = s.open - 1;
  while (i >= 0 && /\s/.test(text[i])) i--;
  const typed = text.slice(s.open + 1, offset);
  const range = { start: s.open + 1, end: s.close };
  const entry = plan.entries.find((e) => offset >= e.keyRange.start && offset <= e.valueRange.end);
  if (text[i] === ':') return { kind: 'plan-value', plan, typed, range, entry };
  if (text[i] === '{' || text[i] === ',') return { kind: 'plan-key', plan, typed, range, entry };
  return { kind: 'none' };
}
