// The summary table per collective kind (with CSV export), the Flight Recorder hang view and
// CommDebugMode's counts beside the trace's own.
import type { CollectiveSummary, CommDebugModule, HangReport } from '../extension/core/trace/types';
import { summaryToCsv } from '../extension/core/trace/summary';
import { commDebugBeside, commDebugTotals } from '../extension/core/trace/comm-debug-mode';
import type { PredictedCollectives } from '../extension/core/trace/panel-protocol';
import { h, fmtUs } from './dom';

export function summaryTable(s: CollectiveSummary, onCsv: (csv: string) => void): HTMLElement {
  return h('div', { class: 'summary', 'data-testid': 'summary' },
    h('p', {}, `ranks ${s.ranks.join(', ')}`, ' ', h('button', { onclick: () => onCsv(summaryToCsv(s)), 'data-testid': 'export-csv' }, 'Export CSV')),
    h('table', { class: 'grid' },
      h('tr', {}, ...['collective', 'count per rank', 'total time', 'mean bus bandwidth', 'worst skew'].map((c) => h('th', {}, c))),
      ...s.collectives.map((c) => h('tr', {}, h('td', {}, c.op), h('td', {}, String(c.count)), h('td', {}, fmtUs(c.total_us)), c.mean_busbw_gbps > 0 ? h('td', {}, `${c.mean_busbw_gbps.toFixed(2)} GB/s`) : h('td', { title: 'no event of this kind has both a byte count and a duration' }, '—'), h('td', {}, fmtUs(c.max_skew_us))))));
}

/** How many of a group's latest collectives the per-rank grid shows. */
const HANG_GRID_ROWS = 24;

export function hangView(r: HangReport): HTMLElement {
  const last = new Map<string, number>();
  for (const rec of r.records) {
    const k = `${rec.pg}|${rec.rank}`;
    last.set(k, Math.max(last.get(k) ?? -1, rec.seq));
  }
  const pgs = [...new Set(r.records.map((x) => x.pg))];
  return h('div', { class: 'hang', 'data-testid': 'hang' },
    h('h3', {}, r.findings.length ? 'Collectives not every rank entered or finished' : 'Every rank entered and completed every recorded collective'),
    h('table', { class: 'grid' },
      h('tr', {}, ...['group', 'seq', 'op', 'entered', 'never entered', 'not completed'].map((c) => h('th', {}, c))),
      ...r.findings.map((f) => h('tr', {}, h('td', {}, f.pg), h('td', {}, String(f.seq)), h('td', {}, f.op), h('td', {}, f.entered.join(', ')),
        h('td', { class: f.missing.length ? 'missing' : '' }, f.missing.join(', ') || '—'), h('td', {}, f.notCompleted.join(', ') || '—')))),
    ...(r.groups ?? []).map((g) => hangGrid(r, g)),
    h('h3', {}, 'last collective per rank'),
    h('table', { class: 'grid' },
      h('tr', {}, h('th', {}, 'group'), ...r.ranks.map((k) => h('th', {}, `rank ${k}`))),
      ...pgs.map((pg) => h('tr', {}, h('td', {}, pg), ...r.ranks.map((k) => h('td', {}, String(last.get(`${pg}|${k}`) ?? '—')))))));
}

/**
 * One group's latest collectives, one row per sequence number and one column per member: what each rank
 * recorded (completed, or still waiting in it), "never entered" where a member never reached it.
 */
function hangGrid(r: HangReport, g: { pg: string; desc?: string; members: number[] }): HTMLElement {
  const recs = r.records.filter((x) => x.pg === g.pg);
  const seqs = [...new Set(recs.map((x) => x.seq))].sort((a, b) => a - b).slice(-HANG_GRID_ROWS);
  const missing = new Map(r.findings.filter((f) => f.pg === g.pg).map((f) => [f.seq, new Set(f.missing)]));
  return h('div', { class: 'hang-group', 'data-testid': `hang-grid-${g.pg}` },
    h('h4', {}, `group ${g.pg}${g.desc ? ` (${g.desc})` : ''}: ranks ${g.members.join(', ')}`),
    h('table', { class: 'grid' },
      h('tr', {}, h('th', {}, 'seq'), h('th', {}, 'op'), h('th', {}, 'sizes'), ...g.members.map((m) => h('th', {}, `rank ${m}`))),
      ...seqs.map((seq) => {
        const at = recs.filter((x) => x.seq === seq);
        return h('tr', { 'data-seq': String(seq) }, h('td', {}, String(seq)), h('td', {}, at[0]?.op ?? ''), h('td', {}, (at[0]?.inputSizes ?? []).map((s) => `[${s.join(', ')}]`).join(' ')),
          ...g.members.map((m) => {
            const rec = at.find((x) => x.rank === m);
            if (missing.get(seq)?.has(m)) return h('td', { class: 'missing' }, 'never entered');
            if (!rec) return h('td', { class: 'unknown' }, '—');
            return h('td', { class: rec.state === 'completed' ? 'done' : 'waiting' }, rec.state === 'completed' ? 'completed' : `waiting (${rec.state})`);
          }));
      })));
}

/**
 * CommDebugMode's counts per module (as PyTorch counts them: a module includes its submodules) beside
 * the engine's prediction for the same modules where the panel has the plan's shapes, and its totals
 * beside the trace's own count per rank of each collective.
 */
export function commDebugView(mods: CommDebugModule[], ours?: CollectiveSummary, predicted?: PredictedCollectives[]): HTMLElement {
  const ops = [...new Set([...mods.flatMap((m) => [...Object.keys(m.forward), ...Object.keys(m.backward)]), ...(predicted ?? []).map((c) => c.op)])].sort();
  const totals = commDebugTotals(mods);
  const beside = predicted ? commDebugBeside(mods, predicted) : undefined;
  const fmt = (c: Record<string, number>): string => Object.entries(c).sort().map(([op, n]) => `${op} ${n}`).join(', ');
  const predictedTotal = (op: string): number => (predicted ?? []).filter((c) => c.op === op).reduce((a, c) => a + c.count, 0);
  const differ = beside?.filter((b) => !b.same).length ?? 0;
  return h('div', { class: 'comm-debug', 'data-testid': 'comm-debug' },
    h('p', {}, 'Collectives per module as CommDebugMode counted them on one rank: a module includes its submodules.',
      beside ? h('span', { 'data-testid': 'comm-debug-verdict', class: differ ? 'differs' : '' }, differ
        ? ` Shardscope predicts otherwise for ${differ} of ${mods.length} modules (marked).`
        : ` Shardscope predicts the same for every module.`) : ''),
    h('table', { class: 'grid' },
      h('tr', {}, h('th', {}, 'module'), h('th', {}, 'type'), ...ops.flatMap((o) => [h('th', {}, `${o} fwd`), h('th', {}, `${o} bwd`)]),
        ...(beside ? [h('th', {}, 'Shardscope fwd'), h('th', {}, 'Shardscope bwd')] : []), h('th', {}, 'parameters')),
      ...mods.map((m, i) => {
        const name = h('td', {}, m.fqn);
        name.style.paddingLeft = `${m.depth * 12 + 4}px`;
        const params = (m.parameters ?? []).map((p) => `${p.name} ${p.placements}`).join(', ');
        const b = beside?.[i];
        return h('tr', { 'data-fqn': m.fqn, class: b && !b.same ? 'differs' : '' }, name, h('td', {}, m.moduleType ?? ''),
          ...ops.flatMap((o) => [h('td', {}, String(m.forward[o] ?? '')), h('td', {}, String(m.backward[o] ?? ''))]),
          ...(b ? [h('td', {}, fmt(b.ours.forward)), h('td', {}, fmt(b.ours.backward))] : []), h('td', {}, params));
      })),
    h('h3', {}, 'totals: CommDebugMode beside this trace (per rank)'),
    h('table', { class: 'grid' },
      h('tr', {}, ...['collective', 'CommDebugMode fwd+bwd', 'trace', ...(predicted ? ['Shardscope (predicted)'] : [])].map((c) => h('th', {}, c))),
      ...ops.map((o) => h('tr', {}, h('td', {}, o), h('td', {}, String(totals[o] ?? 0)), h('td', {}, String(ours?.collectives.find((c) => c.op === o)?.count ?? '—')),
        ...(predicted ? [h('td', {}, String(predictedTotal(o)))] : [])))));
}
