// A pure-JS interpreter of RankPrograms: every rank's ops in fp32, collectives as plain loops over the
// group's buffers. It runs the reference, the fault catalogue in unit tests and validates programs.
//
// Op semantics (row-major, activations are 2-D [tokens, width]):
//   gemm         ins [x [M,K], w]  transB        → [M,N] = x · wᵀ with w [N,K] (torch Linear) when transB, else x · w with w [K,N]
//                transA: ins [a [M',M], b [M',K]] → aᵀ·b [M,K] (weight gradients)
//   rmsnorm      ins [x [M,H], w [H]]  eps        → x / rms(x) · w
//   silu_mul     ins [g, u]                       → silu(g) · u
//   add          ins [a, b]                       → a + b;  copy ins [a] → a
//   slice        ins [x] dim, index, parts        → the index-th of `parts` equal chunks along dim;
//                or dim, start                    → x[start : start + out.shape[dim]] along dim (same rank as x)
//   concat       ins [a, b, …] dim                → along dim, in input order (out's shape; an input may repeat,
//                                                    which is how one rotary key is shared by every head)
//   copy         ins [a]                          → a, into a buffer of the same element count (a reshape)
//   rope         ins [x [T, …]] invFreq, interleaved, attnFactor?, positionOffset?, batch?
//                → each token's values read as heads of d = 2·len(invFreq), rotated by position
//                p = positionOffset + (t mod T/batch): with θᵢ = p·invFreq[i], c = cos θᵢ·attnFactor,
//                s = sin θᵢ·attnFactor, pairs (a, b) = (x[2i], x[2i+1]) when interleaved, else (x[i], x[i+d/2]),
//                and y[i] = a·c − b·s, y[i+d/2] = b·c + a·s (interleaved output is de-interleaved, as
//                transformers' apply_rotary_pos_emb_interleave leaves it)
//   softmax      ins [x]                          → softmax over the last dim
//   sigmoid      ins [x]                          → 1 / (1 + e^−x)
//   topk         ins [p [T,E]] or [p, bias [E]] k, normalize, scalingFactor?, nGroup?, topkGroup?, routingKey
//                → outs [idx [T,k], weights [T,k]] (route.ts); a routing given for routingKey (the
//                reference's choice) is reused instead of recomputed
//   attention    ins [q [T,hq·d], k [T,hk·d], v [T,hk·dv]] headDim, vHeadDim, batch, scale? → [T, hq·dv], causal;
//                query head h reads kv head ⌊h / (hq/hk)⌋; scores scaled by `scale` (default 1/√headDim)
//   attention_backward ins [q, k, v, dy [T,hq·dv]] (attrs as attention) → outs [dq, dk, dv] (attention-backward.ts)
//   experts      ins [x [T,H], idx, weights] → [T,H]: Σ over routed local experts e of
//                weight · down_e(silu(gate_e x) · up_e x); expert weights are generated here, for routed
//                experts only, from the counter generator (attrs: keys, global shapes, local boxes)
//   all_reduce (sum, or max with attrs.reduce 'max'), all_gather dim, reduce_scatter dim (sum, then this
//                rank's chunk), all_to_all_v (rows by attrs.sendCounts/recvCounts) over `group`.
//   embedding, row_max, row_sum_exp, target_logit, cross_entropy, dispatch_pack, scatter_add_rows: the
//                ends and the all-to-all dispatch (interpret-ends.ts; semantics in types.ts).
import type { RankPrograms, RankOp, BufferDecl, OpLabel } from './types';
import { generateBoxes } from './generator';
import { routeTopK } from './route';
import { attentionBackward } from './attention-backward';
import { runEndsOp, allToAllV, EndsOpError } from './interpret-ends';
import type { Range } from '../sharding/types';

export interface OpEvent {
  rank: number;
  index: number;
  op: string;
  startNs: number;
  endNs: number;
  bytes: number;
  group?: number[];
  seq?: number;
  label: OpLabel;
}

export type Routing = Map<string, { idx: Float32Array; weights: Float32Array }>;

export interface InterpretOptions {
  /** Routing choices to reuse, keyed by the topk op's routingKey; filled with the choices made when absent. */
  routing?: Routing;
  onEvent?: (e: OpEvent) => void;
  /** Record events (off: nothing is timed). */
  trace?: boolean;
  signal?: AbortSignal;
}

export interface InterpretResult {
  /** Buffers of every rank after the run. */
  buffers: Map<string, Float32Array>[];
  events: OpEvent[];
  routing: Routing;
}

export class ProgramError extends Error {
  constructor(message: string, readonly label?: OpLabel) {
    super(message);
  }
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const COLLECTIVES = new Set(['all_reduce', 'all_gather', 'reduce_scatter', 'all_to_all_v']);

export function interpret(programs: RankPrograms, opts: InterpretOptions = {}): InterpretResult {
  const world = programs.worldSize;
  const decls: Map<string, BufferDecl>[] = Array.from({ length: world }, () => new Map());
  for (const b of programs.buffers) decls[b.rank].set(b.id, b);
  const bufs: Map<string, Float32Array>[] = Array.from({ length: world }, () => new Map());
  const routing: Routing = opts.routing ?? new Map();
  const events: OpEvent[] = [];
  const trace = opts.trace !== false;
  const seqs = new Map<number, number>();
  const now = () => Number(process.hrtime.bigint());

  const get = (r: number, id: string, op: RankOp): Float32Array => {
    let b = bufs[r].get(id);
    if (b) return b;
    const d = decls[r].get(id);
    if (!d) throw new ProgramError(`rank ${r}: ${op.op} reads ${id}, which no op wrote and no buffer declares`, op.label);
    b = new Float32Array(sizeOf(d.shape));
    if (d.init && d.init.kind !== 'zeros') generateBoxes(d.init.key, d.init.globalShape, d.init.ranges, d.init.scale, b);
    bufs[r].set(id, b);
    return b;
  };
  const shape = (r: number, id: string, op: RankOp): number[] => {
    const d = decls[r].get(id);
    if (!d) throw new ProgramError(`rank ${r}: ${id} has no declared shape`, op.label);
    return d.shape;
  };
  const put = (r: number, id: string, data: Float32Array, op: RankOp) => {
    const n = sizeOf(shape(r, id, op));
    if (n !== data.length) throw new ProgramError(`rank ${r}: ${op.op} makes ${data.length} values for ${id} of shape [${shape(r, id, op).join(', ')}]`, op.label);
    bufs[r].set(id, data);
  };

  const pc = new Array<number>(world).fill(0);
  const record = (r: number, op: RankOp, index: number, start: number, bytes: number, group?: number[], seq?: number) => {
    if (!trace) return;
    const e: OpEvent = { rank: r, index, op: op.op, startNs: start, endNs: now(), bytes, group, seq, label: op.label };
    events.push(e);
    opts.onEvent?.(e);
  };
  for (;;) {
    if (opts.signal?.aborted) throw new ProgramError('cancelled');
    let progressed = false;
    for (let r = 0; r < world; r++) {
      const ops = programs.ranks[r].ops;
      while (pc[r] < ops.length && !COLLECTIVES.has(ops[pc[r]].op)) {
        const op = ops[pc[r]];
        const t0 = trace ? now() : 0;
        runLocal(r, op, get, shape, put, routing);
        record(r, op, pc[r], t0, 0);
        pc[r]++;
        progressed = true;
      }
    }
    if (pc.every((p, r) => p >= programs.ranks[r].ops.length)) break;
    // Every rank is at a collective or done: run the collectives whose whole group is waiting on them.
    for (let r = 0; r < world; r++) {
      const op = programs.ranks[r].ops[pc[r]];
      if (!op || !COLLECTIVES.has(op.op)) continue;
      const gi = op.group ?? -1;
      const group = programs.groups[gi];
      if (!group) throw new ProgramError(`rank ${r}: ${op.op} names no group`, op.label);
      const ready = group.every((g) => {
        const o = programs.ranks[g].ops[pc[g]];
        return o && o.op === op.op && o.group === gi;
      });
      if (!ready) continue;
      const t0 = trace ? now() : 0;
      const bytes = runCollective(op, group, (g) => programs.ranks[g].ops[pc[g]], get, shape, put);
      const seq = seqs.get(gi) ?? 0;
      seqs.set(gi, seq + 1);
      for (const g of group) {
        record(g, programs.ranks[g].ops[pc[g]], pc[g], t0, bytes, group, seq);
        pc[g]++;
      }
      progressed = true;
    }
    if (!progressed) {
      const where = pc.map((p, r) => `rank ${r}: ${programs.ranks[r].ops[p]?.op ?? 'done'}`).join('; ');
      throw new ProgramError(`collectives do not line up across ranks (${where})`);
    }
  }
  return { buffers: bufs, events, routing };
}

type Get = (r: number, id: string, op: RankOp) => Float32Array;
type Shape = (r: number, id: string, op: RankOp) => number[];
type Put = (r: number, id: string, data: Float32Array, op: RankOp) => void;

function num(op: RankOp, name: string): number {
  const v = op.attrs?.[name];
  if (typeof v !== 'number') throw new ProgramError(`${op.op}: attribute ${name} missing`, op.label);
  return v;
}

function gemm(x: Float32Array, w: Float32Array, M: number, K: number, N: number): Float32Array {
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    const xo = m * K;
    for (let n = 0; n < N; n++) {
      const wo = n * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += x[xo + k] * w[wo + k];
      y[m * N + n] = s;
    }
  }
  return y;
}

/** [K, N] → [N, K]. */
function transpose(w: Float32Array, K: number, N: number): Float32Array {
  const t = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) t[n * K + k] = w[k * N + n];
  return t;
}

const silu = (g: number) => g / (1 + Math.exp(-g));

function runLocal(r: number, op: RankOp, get: Get, shape: Shape, put: Put, routing: Routing): void {
  const out = op.outs[0];
  switch (op.op) {
    case 'gemm': {
      if (op.attrs?.transA) {
        // dW = Aᵀ·B: A [M', M], B [M', K] → [M, K], as A transposed times B.
        const [Mp, M] = shape(r, op.ins[0], op);
        const [Mp2, K] = shape(r, op.ins[1], op);
        if (Mp !== Mp2) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'gemm'} (transA) pairs ${Mp} rows with ${Mp2}`, op.label);
        put(r, out, gemm(transpose(get(r, op.ins[0], op), Mp, M), transpose(get(r, op.ins[1], op), Mp, K), M, Mp, K), op);
        return;
      }
      // Leading dims flatten into rows.
      const xs = shape(r, op.ins[0], op);
      const K = xs[xs.length - 1];
      const M = sizeOf(xs) / K;
      const ws = shape(r, op.ins[1], op);
      const transB = !!op.attrs?.transB;
      const [N, K2] = transB ? ws : [ws[1], ws[0]];
      if (K !== K2) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'gemm'} multiplies [${xs.join(', ')}] by a weight of [${ws.join(', ')}]`, op.label);
      put(r, out, gemm(get(r, op.ins[0], op), transB ? get(r, op.ins[1], op) : transpose(get(r, op.ins[1], op), K, N), M, K, N), op);
      return;
    }
    case 'rmsnorm': {
      const x = get(r, op.ins[0], op);
      const w = get(r, op.ins[1], op);
      const H = w.length;
      const eps = num(op, 'eps');
      const y = new Float32Array(x.length);
      for (let o = 0; o < x.length; o += H) {
        let ss = 0;
        for (let j = 0; j < H; j++) ss += x[o + j] * x[o + j];
        const inv = 1 / Math.sqrt(ss / H + eps);
        for (let j = 0; j < H; j++) y[o + j] = x[o + j] * inv * w[j];
      }
      put(r, out, y, op);
      return;
    }
    case 'silu_mul': {
      const g = get(r, op.ins[0], op);
      const u = get(r, op.ins[1], op);
      put(r, out, g.map((v, i) => silu(v) * u[i]), op);
      return;
    }
    case 'add': {
      const a = get(r, op.ins[0], op);
      const b = get(r, op.ins[1], op);
      if (a.length !== b.length) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'add'} adds tensors of ${a.length} and ${b.length} values`, op.label);
      put(r, out, a.map((v, i) => v + b[i]), op);
      return;
    }
    case 'copy':
      put(r, out, get(r, op.ins[0], op).slice(), op);
      return;
    case 'slice': {
      const x = get(r, op.ins[0], op);
      const s = shape(r, op.ins[0], op);
      const dim = num(op, 'dim');
      const outer = sizeOf(s.slice(0, dim));
      const inner = sizeOf(s.slice(dim + 1));
      let start: number;
      let chunk: number;
      if (typeof op.attrs?.start === 'number') {
        start = op.attrs.start;
        chunk = shape(r, out, op)[dim];
        if (start < 0 || start + chunk > s[dim]) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'slice'} takes [${start}, ${start + chunk}) of a dim of ${s[dim]}`, op.label);
      } else {
        chunk = s[dim] / num(op, 'parts');
        start = num(op, 'index') * chunk;
      }
      const y = new Float32Array(outer * chunk * inner);
      for (let o = 0; o < outer; o++) y.set(x.subarray((o * s[dim] + start) * inner, (o * s[dim] + start + chunk) * inner), o * chunk * inner);
      put(r, out, y, op);
      return;
    }
    case 'concat': {
      const os = shape(r, out, op);
      const dim = num(op, 'dim');
      const outer = sizeOf(os.slice(0, dim));
      const inner = sizeOf(os.slice(dim + 1));
      const y = new Float32Array(sizeOf(os));
      let off = 0;
      for (const id of op.ins) {
        const a = get(r, id, op);
        const len = shape(r, id, op)[dim];
        if (a.length !== outer * len * inner) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'concat'} joins ${id} of [${shape(r, id, op).join(', ')}] into [${os.join(', ')}] along dim ${dim}`, op.label);
        for (let o = 0; o < outer; o++) y.set(a.subarray(o * len * inner, (o + 1) * len * inner), (o * os[dim] + off) * inner);
        off += len;
      }
      if (off !== os[dim]) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'concat'} fills ${off} of ${os[dim]} along dim ${dim}`, op.label);
      put(r, out, y, op);
      return;
    }
    case 'rope':
      put(r, out, rope(r, op, get, shape), op);
      return;
    case 'softmax': {
      const x = get(r, op.ins[0], op);
      const E = shape(r, op.ins[0], op).at(-1)!;
      const y = new Float32Array(x.length);
      for (let o = 0; o < x.length; o += E) {
        let m = -Infinity;
        for (let j = 0; j < E; j++) m = Math.max(m, x[o + j]);
        let s = 0;
        for (let j = 0; j < E; j++) s += y[o + j] = Math.exp(x[o + j] - m);
        for (let j = 0; j < E; j++) y[o + j] /= s;
      }
      put(r, out, y, op);
      return;
    }
    case 'topk': {
      const key = String(op.attrs?.routingKey ?? '');
      let hit = routing.get(key);
      if (!hit) {
        const E = shape(r, op.ins[0], op).at(-1)!;
        const bias = op.ins[1] !== undefined ? get(r, op.ins[1], op) : undefined;
        if (bias && bias.length !== E) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'topk'} has a bias of ${bias.length} values for ${E} experts`, op.label);
        hit = routeTopK(get(r, op.ins[0], op), E, {
          k: num(op, 'k'),
          normalize: !!op.attrs?.normalize,
          scalingFactor: op.attrs?.scalingFactor === undefined ? 1 : num(op, 'scalingFactor'),
          bias,
          nGroup: op.attrs?.nGroup === undefined ? undefined : num(op, 'nGroup'),
          topkGroup: op.attrs?.topkGroup === undefined ? undefined : num(op, 'topkGroup'),
        });
        routing.set(key, hit);
      }
      put(r, op.outs[0], hit.idx.slice(), op);
      put(r, op.outs[1], hit.weights.slice(), op);
      return;
    }
    case 'sigmoid': {
      const x = get(r, op.ins[0], op);
      const y = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
      put(r, out, y, op);
      return;
    }
    case 'attention':
      put(r, out, attention(r, op, get, shape), op);
      return;
    case 'attention_backward': {
      const T = shape(r, op.ins[0], op)[0];
      const d = num(op, 'headDim');
      const ins = op.ins.map((id) => get(r, id, op));
      const hq = ins[0].length / T / d, hk = ins[1].length / T / d, dv = num(op, 'vHeadDim');
      if (!Number.isInteger(hq) || !Number.isInteger(hk) || hk === 0 || hq % hk !== 0 || ins[2].length !== T * hk * dv || ins[3].length !== T * hq * dv)
        throw new ProgramError(`rank ${r}: ${op.label.module ?? 'attention_backward'} gets ${hq} query heads and ${hk} key/value heads, which do not group`, op.label);
      const g = attentionBackward(ins[0], ins[1], ins[2], ins[3], { tokens: T, headDim: d, vHeadDim: dv, batch: num(op, 'batch'), scale: typeof op.attrs?.scale === 'number' ? op.attrs.scale : 1 / Math.sqrt(d) });
      put(r, op.outs[0], g.dq, op);
      put(r, op.outs[1], g.dk, op);
      put(r, op.outs[2], g.dv, op);
      return;
    }
    case 'experts':
      put(r, out, experts(r, op, get, shape), op);
      return;
    default:
      // The ends (embedding, loss-parallel cross-entropy) and the all-to-all dispatch: interpret-ends.ts.
      try {
        if (runEndsOp(r, op, get, shape, put)) return;
      } catch (e) {
        if (e instanceof EndsOpError) throw new ProgramError(e.message, op.label);
        throw e;
      }
      throw new ProgramError(`the interpreter has no op ${op.op}`, op.label);
  }
}

function attention(r: number, op: RankOp, get: Get, shape: Shape): Float32Array {
  const q = get(r, op.ins[0], op);
  const k = get(r, op.ins[1], op);
  const v = get(r, op.ins[2], op);
  // Widths are the values per token, whether the buffers are [T, heads·d] or [T, heads, d].
  const T = shape(r, op.ins[0], op)[0];
  const qw = q.length / T;
  const kw = k.length / T;
  const vw = v.length / T;
  const d = num(op, 'headDim');
  const dv = num(op, 'vHeadDim');
  const batch = num(op, 'batch');
  const hq = qw / d;
  const hk = kw / d;
  if (!Number.isInteger(hq) || !Number.isInteger(hk) || hk === 0 || hq % hk !== 0 || vw !== hk * dv)
    throw new ProgramError(`rank ${r}: ${op.label.module ?? 'attention'} gets ${hq} query heads and ${hk} key/value heads, which do not group`, op.label);
  const per = hq / hk;
  const S = T / batch;
  const y = new Float32Array(T * hq * dv);
  const scale = typeof op.attrs?.scale === 'number' ? op.attrs.scale : 1 / Math.sqrt(d);
  const sc = new Float64Array(S);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < hq; h++) {
      const kh = Math.floor(h / per);
      for (let i = 0; i < S; i++) {
        const qi = (b * S + i) * qw + h * d;
        let m = -Infinity;
        for (let j = 0; j <= i; j++) {
          const kj = (b * S + j) * kw + kh * d;
          let s = 0;
          for (let c = 0; c < d; c++) s += q[qi + c] * k[kj + c];
          sc[j] = s * scale;
          m = Math.max(m, sc[j]);
        }
        let z = 0;
        for (let j = 0; j <= i; j++) z += sc[j] = Math.exp(sc[j] - m);
        const yo = (b * S + i) * hq * dv + h * dv;
        for (let j = 0; j <= i; j++) {
          const vj = (b * S + j) * vw + kh * dv;
          const w = sc[j] / z;
          for (let c = 0; c < dv; c++) y[yo + c] += w * v[vj + c];
        }
      }
    }
  return y;
}

function rope(r: number, op: RankOp, get: Get, shape: Shape): Float32Array {
  const x = get(r, op.ins[0], op);
  const T = shape(r, op.ins[0], op)[0];
  const inv = op.attrs?.invFreq;
  if (!Array.isArray(inv) || inv.length === 0) throw new ProgramError(`rope: attribute invFreq missing`, op.label);
  const half = inv.length;
  const d = 2 * half;
  const per = x.length / T;
  if (!Number.isInteger(per / d)) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'rope'} rotates ${d}-wide heads in rows of ${per} values`, op.label);
  const heads = per / d;
  const interleaved = !!op.attrs?.interleaved;
  const f = typeof op.attrs?.attnFactor === 'number' ? op.attrs.attnFactor : 1;
  const offset = typeof op.attrs?.positionOffset === 'number' ? op.attrs.positionOffset : 0;
  const S = T / (typeof op.attrs?.batch === 'number' ? op.attrs.batch : 1);
  const y = new Float32Array(x.length);
  for (let t = 0; t < T; t++) {
    const p = offset + (t % S);
    for (let i = 0; i < half; i++) {
      const th = p * inv[i];
      const c = Math.cos(th) * f;
      const s = Math.sin(th) * f;
      for (let h = 0; h < heads; h++) {
        const o = t * per + h * d;
        const a = interleaved ? x[o + 2 * i] : x[o + i];
        const b = interleaved ? x[o + 2 * i + 1] : x[o + half + i];
        y[o + i] = a * c - b * s;
        y[o + half + i] = b * c + a * s;
      }
    }
  }
  return y;
}

function boxesAttr(op: RankOp, name: string): Range[] {
  const v = op.attrs?.[name];
  if (!Array.isArray(v) || v.length % 2) throw new ProgramError(`experts: attribute ${name} missing`, op.label);
  const out: Range[] = [];
  for (let i = 0; i < v.length; i += 2) out.push([v[i], v[i + 1]]);
  return out;
}

function experts(r: number, op: RankOp, get: Get, shape: Shape): Float32Array {
  const x = get(r, op.ins[0], op);
  const idx = get(r, op.ins[1], op);
  const wts = get(r, op.ins[2], op);
  const [T, H] = shape(r, op.ins[0], op);
  const k = idx.length / T;
  const E = num(op, 'numExperts');
  const I = num(op, 'inter');
  const e0 = num(op, 'expertStart');
  const e1 = num(op, 'expertEnd');
  const guKey = String(op.attrs?.gateUpKey);
  const downKey = String(op.attrs?.downKey);
  const guScale = num(op, 'gateUpScale');
  const downScale = num(op, 'downScale');
  // Rows of gate_up [E, 2I, H] and columns of down [E, H, I] this rank holds.
  const guRows = boxesAttr(op, 'gateUpRows');
  const downCols = boxesAttr(op, 'downCols');
  const nRows = guRows.reduce((a, [s, e]) => a + e - s, 0);
  const nCols = downCols.reduce((a, [s, e]) => a + e - s, 0);
  if (nRows !== 2 * nCols) throw new ProgramError(`rank ${r}: ${op.label.module ?? 'experts'} holds ${nRows} gate/up rows but ${nCols} down columns`, op.label);
  const y = new Float32Array(T * H);
  for (let e = e0; e < e1; e++) {
    const tokens: { t: number; w: number }[] = [];
    for (let t = 0; t < T; t++) for (let j = 0; j < k; j++) if (idx[t * k + j] === e) tokens.push({ t, w: wts[t * k + j] });
    if (tokens.length === 0) continue; // never materialised
    const gu = new Float32Array(nRows * H);
    generateBoxes(guKey, [E, 2 * I, H], guRows.map((rg) => [[e, e + 1], rg, [0, H]]), guScale, gu);
    const down = new Float32Array(H * nCols);
    // Each column box of down [E, H, I] is generated apart and laid side by side in every row.
    let c0 = 0;
    for (const cb of downCols) {
      const w = cb[1] - cb[0];
      const part = new Float32Array(H * w);
      generateBoxes(downKey, [E, H, I], [[[e, e + 1], [0, H], cb]], downScale, part);
      for (let h = 0; h < H; h++) down.set(part.subarray(h * w, (h + 1) * w), h * nCols + c0);
      c0 += w;
    }
    const xs = new Float32Array(tokens.length * H);
    tokens.forEach(({ t }, i) => xs.set(x.subarray(t * H, (t + 1) * H), i * H));
    const h = gemm(xs, gu, tokens.length, H, nRows);
    // The local rows split in two halves: the first read as gate, the second as up (transformers' chunk(2)).
    const half = nRows / 2;
    const act = new Float32Array(tokens.length * half);
    for (let i = 0; i < tokens.length; i++) for (let c = 0; c < half; c++) act[i * half + c] = silu(h[i * nRows + c]) * h[i * nRows + half + c];
    const o = gemm(act, down, tokens.length, half, H);
    tokens.forEach(({ t, w }, i) => {
      for (let c = 0; c < H; c++) y[t * H + c] += w * o[i * H + c];
    });
  }
  return y;
}

function runCollective(op: RankOp, group: number[], opOf: (g: number) => RankOp, get: Get, shape: Shape, put: Put): number {
  const ins = group.map((g) => get(g, opOf(g).ins[0], opOf(g)));
  const n = group.length;
  switch (op.op) {
    case 'all_reduce': {
      const sum = new Float32Array(ins[0].length);
      const max = op.attrs?.reduce === 'max';
      if (max) sum.set(ins[0]);
      for (const [m, b] of ins.entries()) {
        if (b.length !== sum.length) throw new ProgramError(`all_reduce over ranks [${group.join(', ')}] gets buffers of different sizes`, op.label);
        if (max) {
          if (m > 0) for (let i = 0; i < sum.length; i++) sum[i] = Math.max(sum[i], b[i]);
        } else for (let i = 0; i < sum.length; i++) sum[i] += b[i];
      }
      group.forEach((g) => put(g, opOf(g).outs[0], sum.slice(), opOf(g)));
      return sum.length * 4;
    }
    case 'all_gather': {
      const dim = num(op, 'dim');
      const s = shape(group[0], opOf(group[0]).ins[0], op);
      const outer = sizeOf(s.slice(0, dim));
      const inner = sizeOf(s.slice(dim)); // one rank's contiguous block per outer index
      const y = new Float32Array(outer * inner * n);
      for (let o = 0; o < outer; o++) ins.forEach((b, i) => y.set(b.subarray(o * inner, (o + 1) * inner), (o * n + i) * inner));
      group.forEach((g) => put(g, opOf(g).outs[0], y.slice(), opOf(g)));
      return y.length * 4;
    }
    case 'reduce_scatter': {
      const dim = num(op, 'dim');
      const s = shape(group[0], opOf(group[0]).ins[0], op);
      const sum = new Float32Array(ins[0].length);
      for (const b of ins) for (let i = 0; i < sum.length; i++) sum[i] += b[i];
      const outer = sizeOf(s.slice(0, dim));
      const full = sizeOf(s.slice(dim));
      const chunk = full / n;
      group.forEach((g, i) => {
        const y = new Float32Array(outer * chunk);
        for (let o = 0; o < outer; o++) y.set(sum.subarray(o * full + i * chunk, o * full + (i + 1) * chunk), o * chunk);
        put(g, opOf(g).outs[0], y, opOf(g));
      });
      return sum.length * 4;
    }
    case 'all_to_all_v':
      try {
        return allToAllV(op, group, opOf, ins, (g) => shape(g, opOf(g).ins[0], opOf(g)).slice(1).reduce((a, b) => a * b, 1), (g, y) => put(g, opOf(g).outs[0], y, opOf(g)));
      } catch (e) {
        if (e instanceof EndsOpError) throw new ProgramError(e.message, op.label);
        throw e;
      }
    default:
      throw new ProgramError(`the interpreter has no collective ${op.op}`, op.label);
  }
}
