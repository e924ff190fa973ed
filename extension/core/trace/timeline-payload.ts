// A trace as the panel's columnar payload: lanes per rank (predicted ones apart), string tables, typed arrays.
import type { Trace, TraceExtras } from './types';
import type { EntryRef, TimelinePayload } from './panel-protocol';
import { matchCollectives } from './match';
import { summarizeCollectives } from './summary';
import { keepDrawableEvents, uintColumn } from './timeline-events';

/** Fixed kind indices first; each collective op gets its own kind (and colour) after them. */
export const BASE_KINDS = ['compute', 'memcpy', 'idle', 'other'];

export function timelinePayload(trace: Trace & TraceExtras, title = 'trace'): TimelinePayload {
  const matches = matchCollectives(trace);
  const laneIndex = new Map<string, number>();
  const lanes: TimelinePayload['lanes'] = [];
  const laneKey = (rank: number, lane: string, predicted: boolean): string => `${rank}\u0000${predicted ? 'p' : 'm'}\u0000${lane}`;
  // Lanes ordered by rank, measured before predicted, then by name: predicted sits right under measured.
  const keys = new Set<string>();
  for (const e of trace.events) keys.add(laneKey(e.rank, e.lane, e.source === 'predicted'));
  const sortedKeys = [...keys].map((k) => k.split('\u0000')).sort((a, b) => Number(a[0]) - Number(b[0]) || a[1].localeCompare(b[1]) || a[2].localeCompare(b[2], undefined, { numeric: true }));
  for (const [r, p, name] of sortedKeys) {
    laneIndex.set(`${r}\u0000${p}\u0000${name}`, lanes.length);
    // a predicted lane whose name already says so (the rehearsal's "predicted") is not told twice
    lanes.push({ rank: Number(r), name: p === 'p' && !/predicted/i.test(name) ? `${name} (predicted)` : name, predicted: p === 'p' });
  }
  const n = trace.events.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const laneOf = trace.events.map((e) => laneIndex.get(laneKey(e.rank, e.lane, e.source === 'predicted'))!);
  order.sort((a, b) => laneOf[a] - laneOf[b] || trace.events[a].ts - trace.events[b].ts);
  const newIndex = new Int32Array(n);
  order.forEach((old, i) => (newIndex[old] = i));

  let largestGroup = 0;
  for (const e of trace.events) largestGroup = Math.max(largestGroup, e.group?.length ?? 0);
  const names: string[] = [];
  const nameIdx = new Map<string, number>();
  const kinds = [...BASE_KINDS];
  const entries: EntryRef[] = [];
  const entryIdx = new Map<string, number>();
  const p: TimelinePayload = {
    title, ranks: [...trace.ranks], lanes, names, kinds, entries,
    start: new Float64Array(n), dur: new Float64Array(n), lane: uintColumn(lanes.length - 1, n), kind: new Uint8Array(n),
    name: new Uint32Array(n), bytes: new Float64Array(n), seq: new Int32Array(n), match: new Int32Array(n).fill(-1),
    entry: new Int32Array(n), groupSize: uintColumn(largestGroup, n),
    matches: matches.map((m) => ({ op: m.op, key: m.key, uncertain: m.uncertain, skewUs: m.skewUs, straggler: m.straggler, events: m.events.map((x) => newIndex[x.index]) })),
    summary: summarizeCollectives(trace, matches),
    steps: trace.steps ?? [],
  };
  matches.forEach((m, mi) => m.events.forEach((x) => (p.match[newIndex[x.index]] = mi)));
  order.forEach((old, i) => {
    const e = trace.events[old];
    p.start[i] = e.ts;
    p.dur[i] = e.dur;
    p.lane[i] = laneOf[old];
    let kind = e.cat === 'collective' ? e.op ?? e.name : BASE_KINDS.includes(e.cat) ? e.cat : 'other';
    let k = kinds.indexOf(kind);
    if (k < 0) {
      if (kinds.length >= 255) kind = 'other';
      k = kinds.indexOf(kind);
      if (k < 0) k = kinds.push(kind) - 1;
    }
    p.kind[i] = k;
    let ni = nameIdx.get(e.name);
    if (ni === undefined) nameIdx.set(e.name, (ni = names.push(e.name) - 1));
    p.name[i] = ni;
    p.bytes[i] = e.bytes ?? NaN;
    p.seq[i] = e.seq ?? -1;
    p.groupSize[i] = e.group?.length ?? 0;
    if (e.entry) {
      const key = JSON.stringify(e.entry);
      let ei = entryIdx.get(key);
      if (ei === undefined) entryIdx.set(key, (ei = entries.push(e.entry) - 1));
      p.entry[i] = ei;
    } else p.entry[i] = -1;
  });
  return keepDrawableEvents(p);
}

/** The typed arrays of a payload, to hand to postMessage as transferables. */
export function payloadTransferables(p: TimelinePayload): ArrayBuffer[] {
  return [p.start, p.dur, p.lane, p.kind, p.name, p.bytes, p.seq, p.match, p.entry, p.groupSize].map((a) => a.buffer as ArrayBuffer);
}
