// Kineto (torch.profiler) traces into our trace model: GPU kernels become compute or collective events,
// record_param_comms supplies collective metadata where the kernel lacks it (joined by External id),
// ProfilerStep#N spans become steps. One builder per file (= one rank).
import type { Trace, TraceEvent, TraceExtras } from './types';
import { canonicalOp, collectiveBytes, isCommKernel, opFromKernel, parseRankList } from './ops';
import { pushAll } from '../util/arrays';
import { asText, asNumber } from '../util/coerce';

type Args = Record<string, unknown>;

/** The categories event() reads; of the rest only record_param_comms (a CPU op) matters. */
const KEPT_CATS = new Set(['kernel', 'gpu_memcpy', 'gpu_memset', 'user_annotation']);
interface RawEvent {
  ph?: string; cat?: string; name?: string; pid?: unknown; tid?: unknown; ts?: number; dur?: number; args?: Args;
}

interface PendingEvent {
  ev: TraceEvent;
  args?: Args;
  pg?: string;
}

/** The Kineto events of one file, collected while streaming. */
export class KinetoRankBuilder {
  private pending: PendingEvent[] = [];
  private comms = new Map<unknown, Args>();
  private steps: { step: number; ts: number; dur: number }[] = [];
  private top: Record<string, unknown> = {};

  constructor(readonly path: string) {}

  private baseRaw?: string;

  topLevel(key: string, value: unknown, raw?: string): void {
    this.top[key] = value;
    if (key === 'baseTimeNanoseconds' && raw && /^\s*\d+\s*$/.test(raw)) this.baseRaw = raw.trim();
  }

  private kernels = new Map<string, { short: string; comm: boolean }>();
  private lanes = new Map<unknown, string>();

  private lane(stream: unknown): string {
    let l = this.lanes.get(stream);
    if (l === undefined) this.lanes.set(stream, (l = `stream ${asText(stream)}`));
    return l;
  }

  /** Whether event() could keep an event with this "cat" and "name" (unknown ones are parsed and looked at). */
  wants(cat: string | undefined, name: () => string | undefined): boolean {
    if (cat === undefined || KEPT_CATS.has(cat)) return true;
    const n = name();
    return n === undefined || n === 'record_param_comms';
  }

  event(raw: unknown): void {
    const e = raw as RawEvent;
    if (!e || e.ph !== 'X' || typeof e.ts !== 'number') return;
    const name = typeof e.name === 'string' ? e.name : '';
    const cat = e.cat;
    const dur = typeof e.dur === 'number' ? e.dur : 0;
    if (cat === 'kernel') {
      // A trace repeats a few kernel names and streams many times: each is worked out once.
      let k = this.kernels.get(name);
      if (!k) this.kernels.set(name, (k = { short: name.split('(')[0], comm: isCommKernel(name) }));
      this.pending.push({
        ev: { rank: 0, lane: this.lane(e.args?.stream ?? e.tid), name: k.short, cat: k.comm ? 'collective' : 'compute', ts: e.ts, dur, source: 'imported' },
        args: k.comm ? e.args : undefined,
      });
    } else if (cat === 'gpu_memcpy' || cat === 'gpu_memset') {
      const bytes = typeof e.args?.bytes === 'number' ? e.args.bytes : undefined;
      this.pending.push({ ev: { rank: 0, lane: this.lane(e.args?.stream ?? e.tid), name, cat: 'memcpy', ts: e.ts, dur, bytes, source: 'imported' } });
    } else if (name === 'record_param_comms' && e.args) {
      const id = e.args['External id'];
      if (id !== undefined) this.comms.set(id, e.args);
    } else if (cat === 'user_annotation' && name.startsWith('ProfilerStep#')) {
      this.steps.push({ step: asNumber(name.slice('ProfilerStep#'.length)), ts: e.ts, dur });
    }
  }

  /** The rank: distributedInfo.rank, else a number in the file name (rank-3, rank3_, worker0). */
  rank(fallback: number): number {
    const info = this.top.distributedInfo as { rank?: unknown } | undefined;
    if (info && typeof info.rank === 'number') return info.rank;
    const base = this.path.split(/[\\/]/).pop() ?? '';
    const m = /rank[-_]?(\d+)/i.exec(base) ?? /worker[-_]?(\d+)/i.exec(base);
    return m ? asNumber(m[1]) : fallback;
  }

  /** Start of the earliest kept event in absolute nanoseconds (baseTimeNanoseconds + ts, or absolute-epoch ts). */
  originNs(): bigint {
    let min = Infinity;
    for (const p of this.pending) if (p.ev.ts < min) min = p.ev.ts;
    for (const s of this.steps) if (s.ts < min) min = s.ts;
    const ns = Math.floor(min * 1000);
    return this.baseNs() + (Number.isFinite(ns) ? BigInt(ns) : 0n);
  }

  private baseNs(): bigint {
    // Every digit of an integer from the raw text; anything else (a fraction, an exponent, Infinity) as the nearest integer, or 0.
    if (this.baseRaw && /^-?\d+$/.test(this.baseRaw.trim())) return BigInt(this.baseRaw.trim());
    const b = this.top.baseTimeNanoseconds;
    const n = typeof b === 'number' ? Math.round(b) : typeof b === 'string' && /^-?\d+$/.test(b.trim()) ? b.trim() : undefined;
    return n !== undefined && (typeof n === 'string' || Number.isFinite(n)) ? BigInt(n) : 0n;
  }

  private pgRanks(pgName: string | undefined): number[] | undefined {
    const info = this.top.distributedInfo as { pg_config?: unknown } | undefined;
    const cfg = info?.pg_config;
    if (!pgName || !Array.isArray(cfg)) return undefined;
    const pg = cfg.find((c) => c && asText((c as Args).pg_name) === pgName) as Args | undefined;
    return pg ? parseRankList(pg.ranks) : undefined;
  }

  /** The events, shifted so that `globalOriginNs` is time 0, stamped with the rank. */
  finish(rank: number, globalOriginNs: bigint): { events: TraceEvent[]; steps: NonNullable<TraceExtras['steps']>; pgNames: (string | undefined)[]; worldSize?: number } {
    const origin = this.originNs();
    const offsetUs = asNumber(origin - globalOriginNs) / 1000;
    const localMinUs = asNumber(origin - this.baseNs()) / 1000;
    const shift = offsetUs - localMinUs;
    const events: TraceEvent[] = [];
    const pgNames: (string | undefined)[] = [];
    for (const p of this.pending) {
      const ev = p.ev;
      ev.rank = rank;
      ev.ts += shift;
      let pg: string | undefined;
      if (ev.cat === 'collective') {
        const a = p.args && p.args['Collective name'] !== undefined ? p.args : this.comms.get(p.args?.['External id']) ?? p.args ?? {};
        const cname = a['Collective name'];
        ev.op = typeof cname === 'string' ? canonicalOp(cname) : opFromKernel(ev.name);
        const inE = asNumber(a['In msg nelems'] ?? 0), outE = asNumber(a['Out msg nelems'] ?? 0);
        ev.bytes = collectiveBytes(ev.op, a.dtype as string | undefined, inE, outE);
        pg = a['Process Group Name'] !== undefined ? asText(a['Process Group Name']) : undefined;
        ev.group = parseRankList(a['Process Group Ranks']) ?? this.pgRanks(pg);
        if (a['Seq'] !== undefined && Number.isFinite(asNumber(a['Seq']))) ev.seq = asNumber(a['Seq']);
        if (a['Comms Id'] !== undefined) ev.commId = asText(a['Comms Id']);
      }
      events.push(ev);
      pgNames.push(pg);
    }
    const info = this.top.distributedInfo as { world_size?: unknown } | undefined;
    return {
      events,
      pgNames,
      steps: this.steps.map((s) => ({ rank, step: s.step, ts: s.ts + shift, dur: s.dur })),
      worldSize: typeof info?.world_size === 'number' ? info.world_size : undefined,
    };
  }
}

/** Merges the per-file builders (one per rank, or several cycles of one rank) into one trace on a shared clock. */
export function mergeKineto(builders: KinetoRankBuilder[]): Trace & TraceExtras {
  const ranksOf = builders.map((b, i) => b.rank(i));
  let globalOrigin: bigint | undefined;
  for (const b of builders) {
    const o = b.originNs();
    if (globalOrigin === undefined || o < globalOrigin) globalOrigin = o;
  }
  const events: TraceEvent[] = [];
  const steps: NonNullable<TraceExtras['steps']> = [];
  const pgNames = new Map<number, string>();
  const files: { rank: number; path: string }[] = [];
  builders.forEach((b, i) => {
    const part = b.finish(ranksOf[i], globalOrigin ?? 0n);
    part.events.forEach((ev, k) => {
      const pg = part.pgNames[k];
      if (pg !== undefined) pgNames.set(events.length, pg);
      events.push(ev);
    });
    pushAll(steps, part.steps);
    files.push({ rank: ranksOf[i], path: b.path });
  });
  // Sorting keeps indices stable for pgNames: sort an index permutation and rebuild both.
  const order = events.map((_, i) => i).sort((a, b) => events[a].rank - events[b].rank || events[a].ts - events[b].ts);
  const sorted = order.map((i) => events[i]);
  const sortedPg = new Map<number, string>();
  order.forEach((oldIdx, newIdx) => {
    const pg = pgNames.get(oldIdx);
    if (pg !== undefined) sortedPg.set(newIdx, pg);
  });
  return {
    meta: { version: '1', origin: 'kineto' },
    ranks: [...new Set(ranksOf)].sort((a, b) => a - b),
    events: sorted,
    steps: steps.sort((a, b) => a.step - b.step || a.rank - b.rank),
    pgNames: sortedPg,
    files,
  };
}
