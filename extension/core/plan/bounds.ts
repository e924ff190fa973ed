// The limits a plan source is held to before and after it is read: Python nested past what CPython
// itself parses (its parser stops at 200 nested brackets), and more plan entries than LIMITS.planEntries.
// Deep input never reaches the recursive tree walkers, and the binder's work stays bounded.
import type { PlanDocument } from './types';
import { LIMITS } from '../limits';

/** CPython's parser refuses more than 200 nested parentheses, brackets and braces ("too many nested parentheses"). */
export const PYTHON_MAX_NESTING = 200;

/** Offset of the first bracket nested past `limit` in Python source (strings and comments skipped), or -1. */
export function pythonNestingOffset(text: string, limit = PYTHON_MAX_NESTING): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      let j = i + close.length;
      for (; j < text.length; j++) {
        if (text[j] === '\\') j++;
        else if (text.startsWith(close, j)) break;
        else if (!triple && text[j] === '\n') break; // an unterminated string ends at its line, as the tokenizer says
      }
      i = j + close.length - 1;
    } else if (c === '(' || c === '[' || c === '{') {
      if (++depth > limit) return i;
    } else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
  }
  return -1;
}

/** A document with at most LIMITS.planEntries entries: the rest dropped, with an SS005 error on the first dropped. */
export function boundEntries(doc: PlanDocument): PlanDocument {
  let kept = 0;
  for (const plan of doc.plans) {
    if (kept + plan.entries.length <= LIMITS.planEntries) {
      kept += plan.entries.length;
      continue;
    }
    const first = plan.entries[LIMITS.planEntries - kept];
    doc.diagnostics.push({ code: 'SS005', slug: 'over-limit', severity: 'error', message: `more than ${LIMITS.planEntries} plan entries, the limit for one file; the rest are not checked`, range: first.keyRange });
    plan.entries = plan.entries.slice(0, LIMITS.planEntries - kept);
    kept = LIMITS.planEntries;
  }
  return doc;
}
