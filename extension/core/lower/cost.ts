// The cost model: α-β per collective (calibrated link or the topology's defaults) and a roofline for
// compute (a FLOP rate and a memory bandwidth, the slower of the two), walked over the same RankPrograms
// the runtime executes, so predicted and measured events line up op for op.
import type { RankPrograms, RankOp } from './types';
import type { LinkModel } from '../sharding';
import { LINKS, predictCollectiveUs } from '../sharding';

export interface CostModel {
  link: LinkModel;
  /** Per collective, where a calibration fitted one (nccl-tests log or the runtime's sweep). */
  links?: Partial<Record<string, LinkModel>>;
  /** Per group size, then per collective (the runtime's sweep fits each rank count): wins over `links`. */
  linksByRanks?: Record<number, Partial<Record<string, LinkModel>>>;
  /** Sustained GEMM rate, FLOP/s. */
  gemmFlops: number;
  /** Memory-bound ops (norms, adds, softmax): bytes/s. */
  memBytesPerSec: number;
}

/** How GPUs are joined, pair by pair (NVML's view from the runtime's discovery, as plain data). */
export interface LinkTopology {
  pairs: { a: number; b: number; link: 'nvlink' | 'pcie' }[];
}

/**
 * The link a collective over `ranks` (default: every GPU the topology names) runs at: the slowest pair
 * in the group, since a ring or tree moves at the pace of its slowest hop. A pair the topology does not
 * list counts as PCIe (no NVLink was seen between them).
 */
export function slowestLink(topology: LinkTopology, ranks?: number[]): 'nvlink' | 'pcie' {
  const members = ranks ?? [...new Set(topology.pairs.flatMap((p) => [p.a, p.b]))].sort((a, b) => a - b);
  const kind = new Map(topology.pairs.map((p) => [`${Math.min(p.a, p.b)}:${Math.max(p.a, p.b)}`, p.link]));
  for (let i = 0; i < members.length; i++)
    for (let j = i + 1; j < members.length; j++) if (kind.get(`${Math.min(members[i], members[j])}:${Math.max(members[i], members[j])}`) !== 'nvlink') return 'pcie';
  return 'nvlink';
}

/** Defaults per backend: the JS/CPU ranks, or GPUs joined by NVLink or PCIe (named, or read from the detected topology for the group's ranks). */
export function defaultCostModel(backend: 'cpu' | 'cuda', topology: 'nvlink' | 'pcie' | LinkTopology = 'nvlink', ranks?: number[]): CostModel {
  if (backend === 'cpu') return { link: LINKS.cpu, gemmFlops: 1.5e9, memBytesPerSec: 2e9 };
  const link = typeof topology === 'string' ? topology : slowestLink(topology, ranks);
  return { link: LINKS[link], gemmFlops: 400e12, memBytesPerSec: 2e12 };
}

export interface PredictedOp {
  rank: number;
  index: number;
  op: string;
  startUs: number;
  durUs: number;
  bytes: number;
  flops: number;
}

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** FLOPs of one op, from its buffers' shapes (experts: the routed tokens are not known here, so the upper bound top-k·T per expert share). */
export function opFlops(op: RankOp, shapeOf: (id: string) => number[]): number {
  if (op.op === 'gemm') {
    // 2 · (output elements) · (contracted length): rows of A when it is transposed, else its columns.
    const a = shapeOf(op.ins[0]);
    const K = op.attrs?.transA ? a[0] : a[1];
    return 2 * sizeOf(shapeOf(op.outs[0])) * K;
  }
  if (op.op === 'attention') {
    const [T, qw] = shapeOf(op.ins[0]);
    return 2 * T * T * qw;
  }
  if (op.op === 'attention_backward') {
    // Scores recomputed, dQ and dK (each T²·qw multiply-adds), dP and dV (each T²·hq·dv).
    const [T, qw] = shapeOf(op.ins[0]);
    const yw = sizeOf(shapeOf(op.ins[3])) / T;
    return 2 * T * T * (3 * qw + 2 * yw);
  }
  if (op.op === 'experts') {
    const [T, H] = shapeOf(op.ins[0]);
    const k = shapeOf(op.ins[1])[1];
    const E = Number(op.attrs?.numExperts ?? 1);
    const local = Number(op.attrs?.expertEnd ?? 1) - Number(op.attrs?.expertStart ?? 0);
    const rows = Array.isArray(op.attrs?.gateUpRows) ? (op.attrs!.gateUpRows as number[]).reduce((a, v, i, arr) => (i % 2 ? a + v - arr[i - 1] : a), 0) : 0;
    return 2 * ((T * k * local) / E) * H * rows * 1.5;
  }
  return 0;
}

/** Bytes an op reads beyond its buffers: the weights the experts op generates for itself (at most one per
 *  routed token, at most every local expert: which ones the tokens reach is not known here). */
function opWeightBytes(op: RankOp, shapeOf: (id: string) => number[]): number {
  if (op.op !== 'experts') return 0;
  const span = (name: string) => (Array.isArray(op.attrs?.[name]) ? (op.attrs![name] as number[]).reduce((a, v, i, arr) => (i % 2 ? a + v - arr[i - 1] : a), 0) : 0);
  const [T, H] = shapeOf(op.ins[0]);
  const k = shapeOf(op.ins[1])[1] ?? 1;
  const local = Number(op.attrs?.expertEnd ?? 0) - Number(op.attrs?.expertStart ?? 0);
  return 4 * Math.min(local, T * k) * (span('gateUpRows') + span('downCols')) * H;
}

export function predict(programs: RankPrograms, model: CostModel): PredictedOp[] {
  const byRank = new Map<number, Map<string, number[]>>();
  for (const b of programs.buffers) {
    let m = byRank.get(b.rank);
    if (!m) byRank.set(b.rank, (m = new Map()));
    m.set(b.id, b.shape);
  }
  const clock = new Array<number>(programs.worldSize).fill(0);
  const pc = new Array<number>(programs.worldSize).fill(0);
  const out: PredictedOp[] = [];
  const isColl = (o: RankOp) => o.group !== undefined;
  // Local ops advance their rank's clock; a collective starts when the last member arrives.
  for (;;) {
    let moved = false;
    for (let r = 0; r < programs.worldSize; r++) {
      const ops = programs.ranks[r].ops;
      const shapeOf = (id: string) => byRank.get(r)?.get(id) ?? [0];
      while (pc[r] < ops.length && !isColl(ops[pc[r]])) {
        const op = ops[pc[r]];
        const flops = opFlops(op, shapeOf);
        const bytes = op.outs.reduce((a, id) => a + 4 * sizeOf(shapeOf(id)), 0) + op.ins.reduce((a, id) => a + 4 * sizeOf(shapeOf(id)), 0);
        // A roofline: arithmetic or memory traffic, whichever takes longer (a GEMM over a few tokens is
        // bound by reading its weight).
        const us = Math.max(flops / model.gemmFlops, (bytes + opWeightBytes(op, shapeOf)) / model.memBytesPerSec) * 1e6;
        out.push({ rank: r, index: pc[r], op: op.op, startUs: clock[r], durUs: us, bytes: 0, flops });
        clock[r] += us;
        pc[r]++;
        moved = true;
      }
    }
    if (pc.every((p, r) => p >= programs.ranks[r].ops.length)) break;
    for (let r = 0; r < programs.worldSize; r++) {
      const op = programs.ranks[r].ops[pc[r]];
      if (!op || !isColl(op)) continue;
      const group = programs.groups[op.group!];
      if (!group.every((g) => programs.ranks[g].ops[pc[g]]?.group === op.group)) continue;
      // nccl-tests' size S: the whole buffer (all_gather: its output); all_to_all_v: the most one member sends or receives.
      const bytesOf = (g: number, id: string) => 4 * sizeOf(byRank.get(g)?.get(id) ?? [0]);
      const bytes =
        op.op === 'all_to_all_v'
          ? Math.max(...group.flatMap((g) => [bytesOf(g, programs.ranks[g].ops[pc[g]].ins[0]), bytesOf(g, programs.ranks[g].ops[pc[g]].outs[0])]))
          : bytesOf(r, op.op === 'all_gather' ? op.outs[0] : op.ins[0]);
      const link = model.linksByRanks?.[group.length]?.[op.op] ?? model.links?.[op.op] ?? model.link;
      const us = predictCollectiveUs(op.op as Parameters<typeof predictCollectiveUs>[0], bytes, group.length, link);
      const start = Math.max(...group.map((g) => clock[g]));
      for (const g of group) {
        out.push({ rank: g, index: pc[g], op: op.op, startUs: start, durUs: us, bytes, flops: 0 });
        clock[g] = start + us;
        pc[g]++;
      }
      moved = true;
    }
    if (!moved) throw new Error('predict: collectives do not line up across ranks');
  }
  return out.sort((a, b) => a.rank - b.rank || a.index - b.index);
}
