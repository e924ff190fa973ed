// Which events on different ranks are the same collective. Keys in order of trust: the communicator id
// (Kineto "Comms Id", identical on every rank), the per-group sequence number, and last the order of
// collectives within the same process group, which sampled traces can break, so such matches are uncertain.
import type { CollectiveMatch, MatchKey, Trace, TraceExtras } from './types';

function groupKey(trace: Trace & TraceExtras, i: number): string {
  const e = trace.events[i];
  const pg = trace.pgNames?.get(i);
  if (pg !== undefined) return `pg ${pg}`;
  if (e.group) return `ranks ${e.group.join(',')}`;
  return `lane ${e.lane}`;
}

/** Matches every collective event across ranks; predicted and measured events are matched apart. */
export function matchCollectives(trace: Trace & TraceExtras): CollectiveMatch[] {
  const buckets = new Map<string, { key: MatchKey; idx: number[] }>();
  const ordinal = new Map<string, number>();
  trace.events.forEach((e, i) => {
    if (e.cat !== 'collective') return;
    const src = e.source === 'predicted' ? 'p' : 'm';
    const g = groupKey(trace, i);
    let key: MatchKey;
    let id: string;
    if (e.commId !== undefined) {
      key = 'comm-id';
      id = `${src}|c|${e.commId}`;
    } else if (e.seq !== undefined) {
      key = 'seq';
      id = `${src}|s|${g}|${e.seq}`;
    } else {
      key = 'group-order';
      const k = `${src}|${e.rank}|${g}`;
      const n = ordinal.get(k) ?? 0;
      ordinal.set(k, n + 1);
      id = `${src}|o|${g}|${n}`;
    }
    let b = buckets.get(id);
    if (!b) buckets.set(id, (b = { key, idx: [] }));
    b.idx.push(i);
  });
  const out: CollectiveMatch[] = [];
  for (const { key, idx } of buckets.values()) {
    const evs = idx.map((i) => trace.events[i]);
    let first = evs[0], last = evs[0];
    for (const e of evs) {
      if (e.ts < first.ts) first = e;
      if (e.ts > last.ts) last = e;
    }
    const group = evs.find((e) => e.group)?.group ?? [...new Set(evs.map((e) => e.rank))].sort((a, b) => a - b);
    const ranks = new Set(evs.map((e) => e.rank));
    const ops = new Set(evs.map((e) => e.op ?? e.name));
    const incomplete = group.some((r) => !ranks.has(r)) || ranks.size !== evs.length;
    out.push({
      op: evs[0].op ?? evs[0].name,
      group,
      key,
      uncertain: key === 'group-order' || incomplete || ops.size > 1,
      events: idx.map((i) => ({ rank: trace.events[i].rank, index: i })),
      skewUs: last.ts - first.ts,
      straggler: last.rank,
      bytes: evs[0].bytes,
      seq: evs[0].seq,
    });
  }
  out.sort((a, b) => trace.events[a.events[0].index].ts - trace.events[b.events[0].index].ts);
  return out;
}
