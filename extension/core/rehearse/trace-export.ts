// The per-collective summary of a rehearsal's events; the trace file itself is written by the trace
// module's exporter (one format, read back by the panel and `shardscope trace`).
import type { TraceEvent } from '../trace/types';
import { toChromeTrace } from '../trace/chrome-trace';

/** Chrome trace JSON of a rehearsal (Perfetto opens it; the panel and `shardscope trace` read it back). */
export const chromeTrace = toChromeTrace;

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
