// PyTorch Flight Recorder dumps (one per rank, pickled as PyTorch writes them by default, or JSON): the last
// collectives of each rank per process group. The hang view asks, per group and sequence number, which
// ranks never entered and which never finished. A group's members come from `pg_config` where it lists
// them (NCCL); gloo's dumps leave it empty, and then the members are the ranks whose dump knows the group
// (in `pg_status` or an entry): a rank outside a group never creates it.
import type { FlightRecord, HangFinding, HangReport } from './types';
import { canonicalOp, parseRankList } from './ops';

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
    const n = Number((v as Obj)?.last_enqueued_collective);
    if (Number.isFinite(n)) lastEnqueued.set(k, n);
    const c = Number((v as Obj)?.last_completed_collective);
    if (Number.isFinite(c)) lastCompleted.set(k, c);
  }
  const records: FlightRecord[] = [];
  for (const raw of dump.entries as unknown[]) {
    const e = raw as Obj;
    if (!e || e.is_p2p === true) continue;
    const pgField = e.process_group;
    const pg = Array.isArray(pgField) ? String(pgField[0]) : String(e.pg_id ?? pgField ?? '0');
    const pgDesc = Array.isArray(pgField) ? String(pgField[1]) : undefined;
    const seq = Number(e.collective_seq_id);
    if (!Number.isFinite(seq)) continue;
    pgs.add(pg);
    const created = Number(e.time_created_ns);
    records.push({
      rank, pg, pgDesc, seq,
      op: canonicalOp(String(e.profiling_name ?? 'unknown')),
      // gloo leaves every entry "scheduled": the group's last completed sequence number says more
      state: seq <= (lastCompleted.get(pg) ?? -Infinity) ? 'completed' : String(e.state ?? 'scheduled'),
      inputSizes: Array.isArray(e.input_sizes) ? (e.input_sizes as number[][]) : undefined,
      frames: Array.isArray(e.frames) ? (e.frames as FlightRecord['frames']) : undefined,
      ...(Number.isFinite(created) && created > 0 ? { timeCreatedNs: created } : {}),
    });
  }
  return { rank, records, pgRanks, lastEnqueued, pgs };
}

/** Merges the ranks' dumps into the hang view: the collectives some ranks never entered or never completed. */
export function hangReport(dumps: { dump: Obj; rank: number }[]): HangReport {
  const parts = dumps.map((d) => flightRecords(d.dump, d.rank));
  const records = parts.flatMap((p) => p.records);
  const pgRanks = new Map<string, number[]>();
  for (const p of parts) for (const [k, v] of p.pgRanks) if (!pgRanks.has(k)) pgRanks.set(k, v);
  const findings: HangFinding[] = [];
  const groups: NonNullable<HangReport['groups']> = [];
  const pgs = new Set(records.map((r) => r.pg));
  for (const pg of pgs) {
    const members = pgRanks.get(pg) ?? parts.filter((p) => p.pgs.has(pg)).map((p) => p.rank).sort((a, b) => a - b);
    groups.push({ pg, desc: records.find((r) => r.pg === pg && r.pgDesc)?.pgDesc, members });
    const inPg = records.filter((r) => r.pg === pg);
    // A ring buffer drops old entries: only sequence numbers every rank could still hold are judged.
    const floor = Math.max(...parts.map((p) => {
      const own = p.records.filter((r) => r.pg === pg);
      return own.length ? Math.min(...own.map((r) => r.seq)) : -Infinity;
    }));
    const seqs = [...new Set(inPg.map((r) => r.seq))].filter((s) => s >= floor).sort((a, b) => a - b);
    for (const seq of seqs) {
      const at = inPg.filter((r) => r.seq === seq);
      const entered = members.filter((m) => at.some((r) => r.rank === m) || (parts.find((p) => p.rank === m)?.lastEnqueued.get(pg) ?? -1) >= seq);
      const missing = members.filter((m) => !entered.includes(m));
      const notCompleted = at.filter((r) => r.state !== 'completed').map((r) => r.rank).sort((a, b) => a - b);
      if (missing.length || notCompleted.length) findings.push({ pg, seq, op: at[0].op, entered, missing, notCompleted });
    }
  }
  return { ranks: parts.map((p) => p.rank).sort((a, b) => a - b), records, findings, groups };
}
