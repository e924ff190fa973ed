// PyTorch Flight Recorder dumps (one per rank, pickled as PyTorch writes them by default, or JSON): the last
// collectives of each rank per process group. The hang view asks, per group and sequence number, which
// ranks never entered and which never finished. A group's members come from `pg_config` where it lists
// them (NCCL); gloo's dumps leave it empty, and then the members are the ranks whose dump knows the group
// (in `pg_status` or an entry): a rank outside a group never creates it.
import type { FlightRecord, HangFinding, HangReport } from './types';
import { canonicalOp, parseRankList } from './ops';
import { asText, asNumber } from '../util/coerce';

type Obj = Record<string, unknown>;

/** Whether a parsed JSON value looks like a Flight Recorder dump. */
export function isFlightRecorderDump(v: unknown): boolean {
  return !!v && typeof v === 'object' && Array.isArray((v as Obj).entries) && ('pg_config' in (v as Obj) || 'pg_status' in (v as Obj));
}

/** Records of one rank's dump; the rank comes from the dump's `rank` or the caller (file name). */
export function flightRecords(dump: Obj, fallbackRank: number): { rank: number; records: FlightRecord[]; pgRanks: Map<string, number[]>; lastEnqueued: Map<string, number>; pgs: Set<string> } {
  const rank = typeof dump.rank === 'number' ? dump.rank : fallbackRank;
  const pgRanks = new Map<string, number[]>();
  const cfg = (dump.pg_config ?? {}) as Obj;
  for (const [k, v] of Object.entries(cfg)) {
    const ranks = parseRankList((v as Obj)?.ranks);
    if (ranks?.length) pgRanks.set(k, ranks);
  }
  const lastEnqueued = new Map<string, number>();
  const lastCompleted = new Map<string, number>();
  const pgs = new Set<string>(Object.keys((dump.pg_status ?? {}) as Obj));
  for (const [k, v] of Object.entries((dump.pg_status ?? {}) as Obj)) {
    // JSON dumps write these as strings, pickles as ints
    const n = asNumber((v as Obj)?.last_enqueued_collective);
    if (Number.isFinite(n)) lastEnqueued.set(k, n);
    const c = asNumber((v as Obj)?.last_completed_collective);
    if (Number.isFinite(c)) lastCompleted.set(k, c);
  }
  const records: FlightRecord[] = [];
  for (const raw of dump.entries as unknown[]) {
    const e = raw as Obj;
    if (!e || e.is_p2p === true) continue;
    const pgField = e.process_group;
    const pg = Array.isArray(pgField) ? asText(pgField[0]) : asText(e.pg_id ?? pgField ?? '0');
    const pgDesc = Array.isArray(pgField) ? asText(pgField[1]) : undefined;
    const seq = asNumber(e.collective_seq_id);
    if (!Number.isFinite(seq)) continue;
    pgs.add(pg);
    const created = asNumber(e.time_created_ns);
    records.push({
      rank, pg, pgDesc, seq,
      op: canonicalOp(asText(e.profiling_name ?? 'unknown')),
      // gloo leaves every entry "scheduled": the group's last completed sequence number says more
      state: seq <= (lastCompleted.get(pg) ?? -Infinity) ? 'completed' : asText(e.state ?? 'scheduled'),
      inputSizes: Array.isArray(e.input_sizes) ? (e.input_sizes as number[][]) : undefined,
      frames: Array.isArray(e.frames) ? (e.frames as FlightRecord['frames']) : undefined,
      ...(Number.isFinite(created) && created > 0 ? { timeCreatedNs: created } : {}),
    });
  }
  return { rank, records, pgRanks, lastEnqueued, pgs };
}

/**
 * Merges the ranks' dumps into the hang view: the collectives some ranks never entered or never completed.
 * Records are indexed once by group and sequence number, so the work grows with the records and the
 * findings, not with groups × records.
 */
export function hangReport(dumps: { dump: Obj; rank: number }[]): HangReport {
  const parts = dumps.map((d) => flightRecords(d.dump, d.rank));
  const records = parts.flatMap((p) => p.records);
  const pgRanks = new Map<string, number[]>();
  for (const p of parts) for (const [k, v] of p.pgRanks) if (!pgRanks.has(k)) pgRanks.set(k, v);
  const partByRank = new Map<number, (typeof parts)[number]>();
  for (const p of parts) if (!partByRank.has(p.rank)) partByRank.set(p.rank, p);
  // The ranks whose dump knows a group: its members when pg_config does not list them.
  const knownBy = new Map<string, number[]>();
  for (const p of parts) {
    for (const pg of p.pgs) {
      const ranks = knownBy.get(pg);
      if (ranks) ranks.push(p.rank);
      else knownBy.set(pg, [p.rank]);
    }
  }
  // Per group: its records by sequence number, and the floor below which some rank's ring buffer dropped entries.
  const byPg = new Map<string, { bySeq: Map<number, FlightRecord[]>; desc?: string; floor: number }>();
  parts.forEach((p) => {
    const lowest = new Map<string, number>();
    for (const r of p.records) {
      let g = byPg.get(r.pg);
      if (!g) byPg.set(r.pg, (g = { bySeq: new Map(), floor: -Infinity }));
      if (g.desc === undefined && r.pgDesc) g.desc = r.pgDesc;
      const at = g.bySeq.get(r.seq);
      if (at) at.push(r);
      else g.bySeq.set(r.seq, [r]);
      lowest.set(r.pg, Math.min(lowest.get(r.pg) ?? Infinity, r.seq));
    }
    // A ring buffer drops old entries: only sequence numbers every rank could still hold are judged.
    for (const [pg, low] of lowest) byPg.get(pg)!.floor = Math.max(byPg.get(pg)!.floor, low);
  });
  const findings: HangFinding[] = [];
  const groups: NonNullable<HangReport['groups']> = [];
  for (const [pg, g] of byPg) {
    const members = pgRanks.get(pg) ?? (knownBy.get(pg) ?? []).slice().sort((a, b) => a - b);
    groups.push({ pg, desc: g.desc, members });
    const seqs = [...g.bySeq.keys()].filter((s) => s >= g.floor).sort((a, b) => a - b);
    for (const seq of seqs) {
      const at = g.bySeq.get(seq)!;
      const present = new Set(at.map((r) => r.rank));
      const entered = members.filter((m) => present.has(m) || (partByRank.get(m)?.lastEnqueued.get(pg) ?? -1) >= seq);
      const inSet = new Set(entered);
      const missing = members.filter((m) => !inSet.has(m));
      const notCompleted = at.filter((r) => r.state !== 'completed').map((r) => r.rank).sort((a, b) => a - b);
      if (missing.length || notCompleted.length) findings.push({ pg, seq, op: at[0].op, entered, missing, notCompleted });
    }
  }
  return { ranks: parts.map((p) => p.rank).sort((a, b) => a - b), records, findings, groups };
}
