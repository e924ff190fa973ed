// The panel keeps what it can of a timeline: events it cannot draw (a lane, kind or name the tables lack,
// a start or duration that is not finite, a negative duration) are dropped and counted by reason, never
// the whole trace; events out of lane-then-start order (which the panel's binary searches need) are
// sorted. Used where the payload is built and again where the panel receives it.
import type { TimelinePayload } from './panel-protocol';

/** Why an event cannot be drawn, or undefined when it can. */
function reasonOf(p: TimelinePayload, i: number): string | undefined {
  if (p.lane[i] >= p.lanes.length) return 'lane not in the lane table';
  if (p.kind[i] >= p.kinds.length) return 'kind not in the kind table';
  if (p.name[i] >= p.names.length) return 'name not in the name table';
  const s = p.start[i], d = p.dur[i];
  if (!Number.isFinite(s)) return 'start not a finite time';
  if (Number.isNaN(d) || d === Infinity) return 'duration not finite';
  if (d < 0) return 'negative duration';
  return undefined;
}

type Column = Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array;
const COLUMN_KEYS = ['start', 'dur', 'lane', 'kind', 'name', 'bytes', 'seq', 'match', 'entry', 'groupSize'] as const;

/** A column of n unsigned values up to `max`: 16 bits where they fit (lane indices, group sizes), else 32. */
export function uintColumn(max: number, n: number): Uint16Array | Uint32Array {
  return max > 0xffff ? new Uint32Array(n) : new Uint16Array(n);
}

/** The payload with only drawable events, in lane-then-start order; `dropped` counts what went, by reason. */
export function keepDrawableEvents(p: TimelinePayload): TimelinePayload {
  const n = p.start.length;
  const counts = new Map<string, number>();
  const keep: number[] = [];
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const why = reasonOf(p, i);
    if (why) { counts.set(why, (counts.get(why) ?? 0) + 1); continue; }
    const last = keep[keep.length - 1];
    if (last !== undefined && (p.lane[i] < p.lane[last] || (p.lane[i] === p.lane[last] && p.start[i] < p.start[last]))) sorted = false;
    keep.push(i);
  }
  if (keep.length === n && sorted) return p;
  if (!sorted) keep.sort((a, b) => p.lane[a] - p.lane[b] || p.start[a] - p.start[b] || a - b);
  const newIndex = new Int32Array(n).fill(-1);
  keep.forEach((old, i) => (newIndex[old] = i));
  const out: TimelinePayload = { ...p };
  for (const k of COLUMN_KEYS) {
    const src = p[k] as Column;
    const dst = new (src.constructor as new (n: number) => Column)(keep.length);
    for (let i = 0; i < keep.length; i++) dst[i] = src[keep[i]];
    (out as unknown as Record<string, Column>)[k] = dst;
  }
  out.matches = p.matches.map((m) => ({ ...m, events: m.events.map((e) => newIndex[e] ?? -1).filter((e) => e >= 0) }));
  const dropped = new Map((p.dropped ?? []).map((d) => [d.reason, d.count]));
  for (const [reason, count] of counts) dropped.set(reason, (dropped.get(reason) ?? 0) + count);
  out.dropped = [...dropped].map(([reason, count]) => ({ reason, count }));
  return out;
}
