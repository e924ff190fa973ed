// Quick fixes at a place in the document: those of the diagnostics that touch the range, the preferred
// one first. The editor asks with the cursor (an empty range) or a selection.
import type { QuickFix, TextRange } from '../plan/types';
import type { Analysis } from './analyze';

export interface LocatedFix extends QuickFix {
  /** The diagnostic this fix answers. */
  code: string;
}

export function quickFixes(analysis: Analysis, range: TextRange): LocatedFix[] {
  const out: LocatedFix[] = [];
  for (const d of analysis.diagnostics) {
    if (!d.fixes) continue;
    const touches = range.start === range.end ? d.range.start <= range.start && range.start <= d.range.end : d.range.start < range.end && range.start < d.range.end;
    if (touches) for (const f of d.fixes) out.push({ ...f, code: d.code });
  }
  return out.sort((a, b) => Number(!!b.preferred) - Number(!!a.preferred));
}

/** The text after a fix: edits apply from the end so earlier offsets stay valid. */
export function applyFix(text: string, fix: QuickFix): string {
  for (const e of [...fix.edits].sort((a, b) => b.range.start - a.range.start)) text = text.slice(0, e.range.start) + e.newText + text.slice(e.range.end);
  return text;
}
