// CodeLens above each plan: Shapes · Collectives · Run.
import type { TextRange } from '../plan/types';
import { formatBytes } from '../analysis';
import { analysisFor, type Analysis } from './analyze';

export interface CodeLensData {
  range: TextRange;
  title: string;
  command: 'shardscope.showShapes' | 'shardscope.showCollectives' | 'shardscope.rehearse';
  planIndex: number;
}

export function codeLenses(a: Analysis): CodeLensData[] {
  const out: CodeLensData[] = [];
  a.doc.plans.forEach((p, i) => {
    if (p.kind === 'pp') return;
    const range = { start: p.range.start, end: p.range.start };
    // Each plan's numbers are those of its own class's model (a file can hold several config classes).
    const s = analysisFor(a, p).sharded;
    const sharded = s ? s.params.filter((x) => x.placements.length).length : 0;
    const mem = s ? Math.max(...s.memory.map((m) => m.total)) : 0;
    const fwd = s ? Object.values(s.totals.forward).reduce((x, y) => x + (y ?? 0), 0) : 0;
    const bwd = s ? Object.values(s.totals.backward).reduce((x, y) => x + (y ?? 0), 0) : 0;
    out.push({ range, planIndex: i, command: 'shardscope.showShapes', title: s ? `Shapes: ${sharded} sharded params, ${formatBytes(mem)}/rank` : 'Shapes' });
    out.push({ range, planIndex: i, command: 'shardscope.showCollectives', title: s ? `Collectives: ${fwd} forward, ${bwd} backward` : 'Collectives' });
    out.push({ range, planIndex: i, command: 'shardscope.rehearse', title: 'Run' });
  });
  return out;
}
