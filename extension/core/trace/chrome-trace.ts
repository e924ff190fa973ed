// Our trace JSON (DESIGN.md, Formats → Trace JSON): Chrome trace events, pid = rank, tid = lane.
// Perfetto and chrome://tracing open it as it is.
import type { EventCategory, Trace, TraceEvent, TraceMeta } from './types';
import { asText, asNumber } from '../util/coerce';
import { oneLine } from '../input-error';

export interface ChromeTraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number | string;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms';
  shardscope: Omit<TraceMeta, 'origin'> & { origin?: TraceMeta['origin'] };
}

/** Exports a trace as Chrome trace JSON with `process_name` "rank N" and `thread_name` per lane. */
export function toChromeTrace(trace: Trace): ChromeTrace {
  const out: ChromeTraceEvent[] = [];
  const lanes = new Map<number, Map<string, number>>();
  for (const r of trace.ranks) {
    out.push({ ph: 'M', name: 'process_name', pid: r, tid: 0, args: { name: `rank ${r}` } });
    out.push({ ph: 'M', name: 'process_sort_index', pid: r, tid: 0, args: { sort_index: r } });
  }
  const laneId = (rank: number, lane: string): number => {
    let m = lanes.get(rank);
    if (!m) lanes.set(rank, (m = new Map()));
    let id = m.get(lane);
    if (id === undefined) {
      id = m.size;
      m.set(lane, id);
      out.push({ ph: 'M', name: 'thread_name', pid: rank, tid: id, args: { name: lane } });
    }
    return id;
  };
  for (const e of trace.events) {
    const args: Record<string, unknown> = { op: e.op ?? e.name, source: e.source };
    if (e.bytes !== undefined) args.bytes = e.bytes;
    if (e.group) args.group = e.group;
    if (e.seq !== undefined) args.seq = e.seq;
    if (e.entry) args.entry = e.entry;
    if (e.layer !== undefined) args.layer = e.layer;
    if (e.pass) args.pass = e.pass;
    if (e.commId !== undefined) args.comm_id = e.commId;
    out.push({ ph: 'X', name: e.name, cat: e.cat, pid: e.rank, tid: laneId(e.rank, e.lane), ts: e.ts, dur: e.dur, args });
  }
  const { origin: _origin, ...meta } = trace.meta;
  return { traceEvents: out, displayTimeUnit: 'ms', shardscope: { ...meta, origin: trace.meta.origin } };
}

const CATS: EventCategory[] = ['collective', 'compute', 'memcpy', 'idle', 'other'];

/** Collects our trace JSON's events while they stream past (pid = rank, thread_name names the lane). */
export class ChromeTraceBuilder {
  private events: TraceEvent[] = [];
  private laneNames = new Map<string, string>();
  private rankSet = new Set<number>();
  private meta: Partial<TraceMeta> = {};

  topLevel(key: string, value: unknown): void {
    if (key === 'shardscope' && value && typeof value === 'object') this.meta = value as Partial<TraceMeta>;
  }

  event(raw: unknown): void {
    const e = raw as ChromeTraceEvent;
    if (!e || typeof e !== 'object') return;
    const pid = asNumber(e.pid);
    if (e.ph === 'M') {
      if (e.name === 'thread_name') this.laneNames.set(`${pid}:${asText(e.tid)}`, asText(e.args?.name ?? e.tid));
      if (e.name === 'process_name' && Number.isFinite(pid)) this.rankSet.add(pid);
      return;
    }
    if (e.ph !== 'X' || !Number.isFinite(pid) || typeof e.ts !== 'number') return;
    this.rankSet.add(pid);
    const a = e.args ?? {};
    const cat = CATS.includes(e.cat as EventCategory) ? (e.cat as EventCategory) : 'other';
    const ev: TraceEvent = {
      rank: pid, lane: asText(e.tid), name: asText(e.name), cat, ts: e.ts, dur: typeof e.dur === 'number' ? e.dur : 0,
      source: a.source === 'predicted' ? 'predicted' : 'measured',
    };
    if (typeof a.op === 'string') ev.op = oneLine(a.op); // printed in tables: no line breaks from the file
    if (typeof a.bytes === 'number') ev.bytes = a.bytes;
    if (Array.isArray(a.group)) ev.group = a.group.map(Number);
    if (typeof a.seq === 'number') ev.seq = a.seq;
    if (a.entry && typeof a.entry === 'object' && typeof (a.entry as { key?: unknown }).key === 'string') ev.entry = a.entry as TraceEvent['entry'];
    if (typeof a.layer === 'number') ev.layer = a.layer;
    if (a.pass === 'forward' || a.pass === 'backward') ev.pass = a.pass;
    if (a.comm_id !== undefined) ev.commId = asText(a.comm_id);
    this.events.push(ev);
  }

  finish(): Trace {
    for (const ev of this.events) ev.lane = this.laneNames.get(`${ev.rank}:${ev.lane}`) ?? ev.lane;
    this.events.sort((a, b) => a.rank - b.rank || a.ts - b.ts);
    return {
      meta: { version: asText(this.meta.version ?? '1'), ...this.meta, origin: 'shardscope' },
      ranks: [...this.rankSet].sort((a, b) => a - b),
      events: this.events,
    };
  }
}
