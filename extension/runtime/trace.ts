// Converts the addon's per-rank events into the trace model's measured TraceEvents, labelled with the
// plan entry each op came from.
import type { RankPrograms } from '../core/lower/types';
import type { TraceEvent, EventCategory } from '../core/trace/types';
import type { NativeEvent } from './protocol';

const COLLECTIVES = new Set(['all_reduce', 'all_gather', 'reduce_scatter', 'all_to_all', 'all_to_all_v', 'broadcast', 'send', 'recv']);
const MEMCPY = new Set(['copy', 'slice', 'concat', 'gather_rows', 'scatter_add_rows']);

export function toTraceEvents(programs: RankPrograms, events: NativeEvent[], backend = 'cpu'): TraceEvent[] {
  const opsOf = new Map(programs.ranks.map((r) => [r.rank, r.ops]));
  return events.map((e) => {
    const op = opsOf.get(e.rank)?.[e.op];
    const name = op?.op ?? 'op';
    const cat: EventCategory = COLLECTIVES.has(name) ? 'collective' : MEMCPY.has(name) ? 'memcpy' : 'compute';
    const t: TraceEvent = {
      rank: e.rank, lane: cat === 'collective' ? `${backend}:comm` : `${backend}:compute`, name, cat,
      ts: e.startNs / 1000, dur: (e.endNs - e.startNs) / 1000, op: name, bytes: e.bytes, source: 'measured',
    };
    if (e.members) t.group = e.members;
    if (e.seq !== undefined) t.seq = e.seq;
    if (e.members) t.commId = e.group !== undefined && e.group >= 0 ? `g${e.group}` : `p${e.members.join('-')}`;
    const l = op?.label;
    if (l?.entry) t.entry = { key: l.entry, file: l.file, line: l.line };
    if (l?.layer !== undefined) t.layer = l.layer;
    if (l?.pass) t.pass = l.pass;
    return t;
  });
}
