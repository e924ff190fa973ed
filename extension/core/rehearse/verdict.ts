// The verdict of a rehearsal in one line, as the editor's notification shows it: whether the numbers agree
// (or where they first differ, or why the plan cannot run), and whether the widths were scaled down to fit
// the machine, which changes what ran and so belongs in the verdict, not only in the log.
import type { RehearsalResult } from './rehearse';

const fileName = (path: string) => path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);

export function verdictLine(r: RehearsalResult): string {
  const scaled = r.widthScale > 1 ? `; widths scaled by 1/${r.widthScale} to fit this machine (head and expert counts as in the model)` : '';
  if (r.verdict === 'match') return `numbers agree on ${r.ranks} rank(s) (${r.backend}): ‖out − ref‖/‖ref‖ = ${r.maxRelError.toExponential(2)}, layers ${r.layers.join(', ')}${scaled}`;
  if (r.verdict === 'mismatch' && r.firstMismatch) {
    const m = r.firstMismatch;
    return `${m.file ? `${fileName(m.file)}:${m.line}: ` : ''}numbers differ first at ${m.module}${m.planEntry ? ` (plan entry "${m.planEntry}")` : ''}: ${m.relError.toExponential(2)}${scaled}`;
  }
  const e = r.error;
  return `${e?.file ? `${fileName(e.file)}:${e.line ?? 1}: ` : ''}the plan cannot run: ${e?.message ?? 'unknown error'}`;
}

/** Whether the run left a trace worth opening: a plan refused before it ran has no events at all. */
export const hasTrace = (r: RehearsalResult) => r.trace.events.length > 0;
