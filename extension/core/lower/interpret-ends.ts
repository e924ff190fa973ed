// Local ops of the model's ends (embedding lookup, cross-entropy in the loss-parallel way) and of the
// all-to-all expert dispatch, as the JS interpreter runs them. Semantics are documented in types.ts;
// native/src/ops_dispatch.cc runs the same ops in the addon.
import type { RankOp } from './types';
import { generateBoxes } from './generator';

type Get = (r: number, id: string, op: RankOp) => Float32Array;
type Shape = (r: number, id: string, op: RankOp) => number[];
type Put = (r: number, id: string, data: Float32Array, op: RankOp) => void;

export class EndsOpError extends Error {}

function num(op: RankOp, name: string): number {
  const v = op.attrs?.[name];
  if (typeof v !== 'number') throw new EndsOpError(`${op.op}: attribute ${name} missing`);
  return v;
}

function list(op: RankOp, name: string): number[] {
  const v = op.attrs?.[name];
  if (!Array.isArray(v)) throw new EndsOpError(`${op.op}: attribute ${name} (a number list) missing`);
  return v;
}

/** Runs one op of this family; false when the op is not one of them. */
export function runEndsOp(r: number, op: RankOp, get: Get, shape: Shape, put: Put): boolean {
  switch (op.op) {
    case 'embedding': {
      // Rows of the table are generated for the looked-up ids only: the table itself is never materialised.
      const ids = list(op, 'ids');
      const V = num(op, 'vocab');
      const H = num(op, 'hidden');
      const v0 = num(op, 'vocabStart');
      const v1 = num(op, 'vocabEnd');
      const c0 = num(op, 'colStart');
      const c1 = num(op, 'colEnd');
      const w = c1 - c0;
      const y = new Float32Array(ids.length * w);
      const row = new Float32Array(w);
      for (let t = 0; t < ids.length; t++) {
        const id = ids[t];
        if (!(id >= 0 && id < V)) throw new EndsOpError(`rank ${r}: token id ${id} is outside the vocabulary 0..${V - 1}`);
        if (id < v0 || id >= v1) continue; // another rank's vocabulary slice: zeros here, the all-reduce fills it in
        generateBoxes(String(op.attrs?.key), [V, H], [[[id, id + 1], [c0, c1]]], num(op, 'scale'), row);
        y.set(row, t * w);
      }
      put(r, op.outs[0], y, op);
      return true;
    }
    case 'row_max': {
      const x = get(r, op.ins[0], op);
      const N = shape(r, op.ins[0], op).at(-1)!;
      const M = N ? x.length / N : shape(r, op.ins[0], op)[0];
      const y = new Float32Array(M).fill(-Infinity);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) y[i] = Math.max(y[i], x[i * N + j]);
      put(r, op.outs[0], y, op);
      return true;
    }
    case 'row_sum_exp': {
      const x = get(r, op.ins[0], op);
      const m = get(r, op.ins[1], op);
      const N = shape(r, op.ins[0], op).at(-1)!;
      const y = new Float32Array(m.length);
      for (let i = 0; i < m.length; i++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += Math.exp(x[i * N + j] - m[i]);
        y[i] = s;
      }
      put(r, op.outs[0], y, op);
      return true;
    }
    case 'target_logit': {
      const x = get(r, op.ins[0], op);
      const N = shape(r, op.ins[0], op).at(-1)!;
      const targets = list(op, 'targets');
      const v0 = num(op, 'vocabStart');
      const y = new Float32Array(targets.length);
      targets.forEach((t, i) => {
        if (t >= v0 && t < v0 + N) y[i] = x[i * N + (t - v0)];
      });
      put(r, op.outs[0], y, op);
      return true;
    }
    case 'cross_entropy': {
      const m = get(r, op.ins[0], op);
      const s = get(r, op.ins[1], op);
      const t = get(r, op.ins[2], op);
      let loss = 0;
      for (let i = 0; i < m.length; i++) loss += Math.log(s[i]) + m[i] - t[i];
      put(r, op.outs[0], Float32Array.of(m.length ? loss / m.length : 0), op);
      return true;
    }
    case 'dispatch_pack': {
      const x = get(r, op.ins[0], op);
      const idx = get(r, op.ins[1], op);
      const wts = get(r, op.ins[2], op);
      const [T, H] = shape(r, op.ins[0], op);
      const k = shape(r, op.ins[1], op).at(-1)!;
      const bounds = list(op, 'bounds');
      const row0 = typeof op.attrs?.rowStart === 'number' ? op.attrs.rowStart : 0;
      const n = bounds.length - 1;
      const dest = (e: number) => {
        for (let i = 0; i < n; i++) if (e >= bounds[i] && e < bounds[i + 1]) return i;
        throw new EndsOpError(`rank ${r}: expert ${e} belongs to no member (experts ${bounds[0]}–${bounds[n] - 1})`);
      };
      const pairs: { t: number; j: number; to: number }[] = [];
      for (let t = 0; t < T; t++) for (let j = 0; j < k; j++) pairs.push({ t, j, to: dest(idx[(row0 + t) * k + j]) });
      pairs.sort((a, b) => a.to - b.to || a.t - b.t || a.j - b.j);
      const counts = new Array<number>(n).fill(0);
      for (const p of pairs) counts[p.to]++;
      const want = op.attrs?.sendCounts;
      if (Array.isArray(want) && want.some((c, i) => c !== counts[i]))
        throw new EndsOpError(`rank ${r}: the routing sends [${counts.join(', ')}] rows per member, but the dispatch was lowered for [${want.join(', ')}] (the routing differs from the reference's)`);
      const rows = new Float32Array(pairs.length * H);
      const experts = new Float32Array(pairs.length);
      const weights = new Float32Array(pairs.length);
      const tokens = new Float32Array(pairs.length);
      pairs.forEach(({ t, j }, i) => {
        rows.set(x.subarray(t * H, (t + 1) * H), i * H);
        experts[i] = idx[(row0 + t) * k + j];
        weights[i] = wts[(row0 + t) * k + j];
        tokens[i] = t;
      });
      put(r, op.outs[0], rows, op);
      put(r, op.outs[1], experts, op);
      put(r, op.outs[2], weights, op);
      put(r, op.outs[3], tokens, op);
      return true;
    }
    case 'scatter_add_rows': {
      const y = get(r, op.ins[0], op);
      const idx = get(r, op.ins[1], op);
      const w = op.ins[2] ? get(r, op.ins[2], op) : undefined;
      const xs = shape(r, op.outs[0], op);
      const H = xs.at(-1)!;
      const x = op.attrs?.accumulate ? get(r, op.outs[0], op).slice() : new Float32Array(xs.reduce((a, b) => a * b, 1));
      for (let i = 0; i < idx.length; i++) {
        const t = idx[i];
        if (!(t >= 0 && t < xs[0])) throw new EndsOpError(`rank ${r}: row index ${t} is outside 0..${xs[0] - 1}`);
        const s = w ? w[i] : 1;
        for (let c = 0; c < H; c++) x[t * H + c] += s * y[i * H + c];
      }
      put(r, op.outs[0], x, op);
      return true;
    }
    default:
      return false;
  }
}

/**
 * all_to_all_v over a group: member m sends attrs.sendCounts[i] rows of its input to member i, in member
 * order; member i receives them in member order. Every member's recvCounts must mirror the senders'.
 * Returns the largest number of bytes one member sends or receives.
 */
export function allToAllV(op: RankOp, group: number[], opOf: (g: number) => RankOp, ins: Float32Array[], rowWidth: (g: number) => number, put: (g: number, data: Float32Array) => void): number {
  const n = group.length;
  const send = group.map((g) => opOf(g).attrs?.sendCounts as number[] | undefined);
  const recv = group.map((g) => opOf(g).attrs?.recvCounts as number[] | undefined);
  if (send.some((s) => !Array.isArray(s) || s.length !== n) || recv.some((s) => !Array.isArray(s) || s.length !== n))
    throw new EndsOpError(`all_to_all_v over ranks [${group.join(', ')}] needs sendCounts and recvCounts with ${n} entries on every member`);
  let most = 0;
  group.forEach((g, i) => {
    const W = rowWidth(g);
    const parts: Float32Array[] = [];
    for (let m = 0; m < n; m++) {
      if (recv[i]![m] !== send[m]![i]) throw new EndsOpError(`all_to_all_v: rank ${g} expects ${recv[i]![m]} rows from rank ${group[m]}, which sends ${send[m]![i]}`);
      const start = send[m]!.slice(0, i).reduce((a, b) => a + b, 0);
      parts.push(ins[m].subarray(start * W, (start + send[m]![i]) * W));
    }
    const y = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      y.set(p, o);
      o += p.length;
    }
    put(g, y);
    most = Math.max(most, y.length * 4, ins[i].length * 4);
  });
  return most;
}
