// The per-kind collective summary: the panel's table, the CSV export and `shardscope trace summary` share it.
import type { CollectiveMatch, CollectiveSummary, Trace, TraceExtras } from './types';
import { matchCollectives } from './match';
import { busBwGbps } from './ops';
import { maxOf } from '../util/arrays';

/**
 * Per op: count and total time per rank (the busiest rank), mean bus bandwidth over events with known
 * bytes, worst skew over matched collectives. Measured (or imported) events win; a purely predicted
 * trace is summarised from its predictions.
 */
export function summarizeCollectives(trace: Trace & TraceExtras, matches?: CollectiveMatch[]): CollectiveSummary {
  const hasMeasured = trace.events.some((e) => e.cat === 'collective' && e.source !== 'predicted');
  const keep = (s: string): boolean => (hasMeasured ? s !== 'predicted' : s === 'predicted');
  const perOp = new Map<string, { count: Map<number, number>; time: Map<number, number>; bw: number; bwN: number; skew: number }>();
  const row = (op: string) => {
    let r = perOp.get(op);
    if (!r) perOp.set(op, (r = { count: new Map(), time: new Map(), bw: 0, bwN: 0, skew: 0 }));
    return r;
  };
  for (const e of trace.events) {
    if (e.cat !== 'collective' || !keep(e.source)) continue;
    const r = row(e.op ?? e.name);
    r.count.set(e.rank, (r.count.get(e.rank) ?? 0) + 1);
    r.time.set(e.rank, (r.time.get(e.rank) ?? 0) + e.dur);
    if (e.bytes && e.dur > 0) {
      r.bw += busBwGbps(e.op ?? e.name, e.bytes, e.dur, e.group?.length ?? trace.ranks.length);
      r.bwN++;
    }
  }
  for (const m of matches ?? matchCollectives(trace)) {
    const src = trace.events[m.events[0].index].source;
    if (!keep(src)) continue;
    const r = perOp.get(m.op);
    if (r && m.skewUs > r.skew) r.skew = m.skewUs;
  }
  const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;
  return {
    ranks: [...trace.ranks],
    collectives: [...perOp.entries()]
      .map(([op, r]) => ({
        op,
        count: maxOf(r.count.values(), 0),
        total_us: round(maxOf(r.time.values(), 0), 3),
        mean_busbw_gbps: round(r.bwN ? r.bw / r.bwN : 0, 3),
        max_skew_us: round(r.skew, 3),
      }))
      .sort((a, b) => b.total_us - a.total_us || a.op.localeCompare(b.op)),
  };
}

/** The summary as CSV (RFC 4180 quoting), one row per op. */
export function summaryToCsv(summary: CollectiveSummary): string {
  const q = (v: string | number): string => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = ['op,count,total_us,mean_busbw_gbps,max_skew_us'];
  for (const r of summary.collectives) lines.push([r.op, r.count, r.total_us, r.mean_busbw_gbps, r.max_skew_us].map(q).join(','));
  return lines.join('\n') + '\n';
}
