// Chrome trace event JSON (Perfetto opens it) and the per-collective summary of a rehearsal's events.
// Kept here until the trace module exports its own; the format is the one DESIGN.md fixes.
import type { Trace, TraceEvent } from '../trace/types';

export function chromeTrace(trace: Trace): { traceEvents: unknown[]; shardscope: Trace['meta'] } {
  const traceEvents: unknown[] = [];
  for (const r of trace.ranks) traceEvents.push({ ph: 'M', name: 'process_name', pid: r, tid: 0, args: { name: `rank ${r}` } });
  for (const e of trace.events)
    traceEvents.push({
      ph: 'X',
      name: e.name,
      cat: e.cat,
      pid: e.rank,
      tid: e.lane,
      ts: e.ts,
      dur: e.dur,
      args: { op: e.op, bytes: e.bytes, group: e.group, seq: e.seq, entry: e.entry?.key, file: e.entry?.file, line: e.entry?.line, layer: e.layer, pass: e.pass, source: e.source },
    });
  return { traceEvents, shardscope: trace.meta };
}

export interface CollectiveSummary {
  op: string;
  group: number[];
  count: number;
  bytes: number;
  /** Mean measured time, µs. */
  measuredUs: number;
  predictedUs: number;
  /** nccl-tests bus bandwidth of the measured mean, GB/s. */
  busGBps: number;
  entries: string[];
}

const BUS: Record<string, (n: number) => number> = {
  all_reduce: (n) => (2 * (n - 1)) / n,
  all_gather: (n) => (n - 1) / n,
  reduce_scatter: (n) => (n - 1) / n,
};

/** One row per collective op and group, from rank 0's events of each collective (the group's lowest rank). */
export function summarizeCollectives(events: TraceEvent[]): CollectiveSummary[] {
  const rows = new Map<string, CollectiveSummary & { m: number; p: number; pc: number }>();
  for (const e of events) {
    if (e.cat !== 'collective' || !e.group || e.rank !== e.group[0]) continue;
    const key = `${e.name}|${e.group.join(',')}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { op: e.name, group: e.group, count: 0, bytes: 0, measuredUs: 0, predictedUs: 0, busGBps: 0, entries: [], m: 0, p: 0, pc: 0 }));
    if (e.source === 'predicted') {
      row.p += e.dur;
      row.pc++;
      continue;
    }
    row.count++;
    row.bytes += e.bytes ?? 0;
    row.m += e.dur;
    if (e.entry && !row.entries.includes(e.entry.key)) row.entries.push(e.entry.key);
  }
  return [...rows.values()].map(({ m, p, pc, ...row }) => {
    const measuredUs = row.count ? m / row.count : 0;
    const bytes = row.count ? row.bytes / row.count : 0;
    const n = row.group.length;
    return { ...row, bytes, measuredUs, predictedUs: pc ? p / pc : 0, busGBps: measuredUs > 0 ? ((bytes / (measuredUs * 1e-6)) * (BUS[row.op]?.(n) ?? 1)) / 1e9 : 0 };
  });
}
