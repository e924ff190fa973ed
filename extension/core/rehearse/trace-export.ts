// The per-collective summary of a rehearsal's events; the trace file itself is written by the trace
// module's exporter (one format, read back by the panel and `shardscope trace`).
import type { TraceEvent } from '../trace/types';
import { toChromeTrace } from '../trace/chrome-trace';

/** Chrome trace JSON of a rehearsal (Perfetto opens it; the panel and `shardscope trace` read it back). */
export const chromeTrace = toChromeTrace;

export interface CollectiveSummary {
  op: string;
  group: number[];
  /** Collectives of the lowest rank per step, and their mean bytes: measured ones, or the predicted ones
   *  when none was measured (a run without a trace). */
  count: number;
  bytes: number;
  /** Whether a member's run was timed; without, the measured and wait times and busGBps are 0. */
  measured: boolean;
  /** Mean measured time of one collective, µs: from its last member's arrival to its first member's
   *  completion, the time the collective itself took once every member was in (what the α-β model
   *  predicts). Waiting for late members is `waitUs`, apart. */
  measuredUs: number;
  /** Mean time from the first member's arrival to the last one's, µs. */
  waitUs: number;
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

/**
 * One row per collective op and group. Each collective (one sequence number of one group) is timed from
 * every member's measured event: a rank's own event would also hold its wait for the others, which on
 * the CPU backend (more rank threads than cores) is mostly the scheduler, not the collective. A
 * collective missing some member's event falls back to the group's lowest rank's event.
 */
export function summarizeCollectives(events: TraceEvent[]): CollectiveSummary[] {
  const rows = new Map<string, CollectiveSummary & { m: number; w: number; p: number; pc: number; pb: number; inst: Map<number, { lastIn: number; firstIn: number; firstOut: number; n: number; dur: number }> }>();
  for (const e of events) {
    if (e.cat !== 'collective' || !e.group) continue;
    const key = `${e.name}|${e.group.join(',')}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { op: e.name, group: e.group, count: 0, bytes: 0, measured: false, measuredUs: 0, waitUs: 0, predictedUs: 0, busGBps: 0, entries: [], m: 0, w: 0, p: 0, pc: 0, pb: 0, inst: new Map() }));
    if (e.source === 'predicted') {
      if (e.rank !== e.group[0]) continue;
      row.p += e.dur;
      row.pc++;
      row.pb += e.bytes ?? 0;
      continue;
    }
    const seq = e.seq ?? -1 - row.inst.size; // events without a sequence number stand alone
    const c = row.inst.get(seq) ?? { lastIn: -Infinity, firstIn: Infinity, firstOut: Infinity, n: 0, dur: NaN };
    c.lastIn = Math.max(c.lastIn, e.ts);
    c.firstIn = Math.min(c.firstIn, e.ts);
    c.firstOut = Math.min(c.firstOut, e.ts + e.dur);
    c.n++;
    if (e.rank === e.group[0]) {
      c.dur = e.dur;
      row.count++;
      row.bytes += e.bytes ?? 0;
      if (e.entry && !row.entries.includes(e.entry.key)) row.entries.push(e.entry.key);
    }
    row.inst.set(seq, c);
  }
  return [...rows.values()].map(({ m, w, p, pc, pb, inst, ...row }) => {
    if (!row.count) return { ...row, count: pc, bytes: pc ? pb / pc : 0, predictedUs: pc ? p / pc : 0 };
    for (const c of inst.values()) {
      if (Number.isNaN(c.dur)) continue; // the lowest rank's event is missing: not counted
      const whole = c.n === row.group.length;
      m += whole ? Math.max(0, c.firstOut - c.lastIn) : c.dur;
      w += whole ? c.lastIn - c.firstIn : 0;
    }
    const measuredUs = row.count ? m / row.count : 0;
    const bytes = row.count ? row.bytes / row.count : 0;
    const n = row.group.length;
    return { ...row, measured: true, bytes, measuredUs, waitUs: row.count ? w / row.count : 0, predictedUs: pc ? p / pc : 0, busGBps: measuredUs > 0 ? ((bytes / (measuredUs * 1e-6)) * (BUS[row.op]?.(n) ?? 1)) / 1e9 : 0 };
  });
}
