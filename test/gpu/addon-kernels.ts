// The addon's side of the side-by-side figures, each from the backend's own pair of CUDA events around
// every op (median over the timed repeats, the first ones dropped as warm-up):
// - cuBLAS bf16 GEMM (bf16 storage, fp32 compute) on the shapes torch_reference.py times torch.matmul on;
// - the element-wise and attention kernels' achieved memory bandwidth (the bytes an op must read and
//   write at least, over its time) beside a device-to-device copy of the same buffers;
// - NCCL all-reduce over all the GPUs: per-call time of a small message (one GPU: the launch overhead of
//   a 1-rank communicator) and, on two or more, the bus bandwidth of 64 MiB.
import type { BufferDecl, BufferDType, RankOp, RankPrograms } from '../../extension/core/lower';
import { runPrograms, type NativeResult } from '../../extension/runtime';
import { median, type GpuTarget } from './target';

const WARMUP = 3;

export interface Sizes {
  gemm: [number, number, number][];
  /** Rows × 4096 columns of every element-wise buffer. */
  rows: number;
  cols: number;
  attention: { tokens: number; heads: number; kvHeads: number; headDim: number };
  allReduceSmallBytes: number;
  allReduceLargeBytes: number;
  /** Back-to-back calls of the small all-reduce. */
  allReduceCalls: number;
  repeats: number;
}

export function sizes(small: boolean): Sizes {
  return small
    ? { gemm: [[64, 64, 64], [48, 32, 80]], rows: 16, cols: 64, attention: { tokens: 16, heads: 4, kvHeads: 2, headDim: 8 }, allReduceSmallBytes: 1024, allReduceLargeBytes: 64 * 1024, allReduceCalls: 20, repeats: 6 }
    : { gemm: [[4096, 4096, 4096], [8192, 8192, 8192], [4096, 4096, 14336], [4096, 14336, 4096]], rows: 16384, cols: 4096, attention: { tokens: 1024, heads: 32, kvHeads: 8, headDim: 128 }, allReduceSmallBytes: 1024, allReduceLargeBytes: 64 * 2 ** 20, allReduceCalls: 200, repeats: 12 };
}

class Builder {
  buffers: BufferDecl[] = [];
  ops: RankOp[] = [];
  buf(id: string, shape: number[], dtype: BufferDType = 'f32', init = true): this {
    this.buffers.push({ id, shape, dtype, rank: 0, ...(init ? { init: { kind: 'param' as const, key: id, globalShape: shape, ranges: [shape.map((s) => [0, s] as [number, number])], scale: 0.5 } } : {}) });
    return this;
  }
  repeat(n: number, op: Omit<RankOp, 'label'>, what: string): { what: string; first: number; count: number } {
    const first = this.ops.length;
    for (let i = 0; i < n; i++) this.ops.push({ ...op, label: { entry: what } });
    return { what, first, count: n };
  }
  programs(): RankPrograms {
    return { worldSize: 1, groups: [], buffers: this.buffers, ranks: [{ rank: 0, ops: this.ops }] };
  }
}

async function runOn(t: GpuTarget, p: RankPrograms, what: string): Promise<NativeResult> {
  const res = await runPrograms(p, { backend: 'cuda', outputs: [], childPath: t.childPath, libraryDirs: t.libraryDirs, env: t.env, timeoutMs: 120000 });
  if (!res.report.ok) throw new Error(`${what}: ${res.report.message}`);
  return res;
}

/** Median duration (µs) of the timed repeats of one op range. */
function opUs(res: NativeResult, r: { first: number; count: number }): number {
  const ds = res.events.filter((e) => e.rank === 0 && e.op >= r.first + WARMUP && e.op < r.first + r.count).map((e) => (e.endNs - e.startNs) / 1e3);
  if (!ds.length) throw new Error(`no events for ops ${r.first}..${r.first + r.count}`);
  return median(ds);
}

export async function gemmRows(t: GpuTarget, s: Sizes) {
  const b = new Builder();
  const ranges = s.gemm.map(([m, k, n], i) => {
    b.buf(`a${i}`, [m, k], 'bf16').buf(`b${i}`, [k, n], 'bf16').buf(`c${i}`, [m, n], 'bf16', false);
    return { m, k, n, r: b.repeat(s.repeats, { op: 'gemm', ins: [`a${i}`, `b${i}`], outs: [`c${i}`] }, `gemm ${m}x${k}x${n}`) };
  });
  const res = await runOn(t, b.programs(), 'cuBLAS bf16 GEMM');
  return ranges.map(({ m, k, n, r }) => {
    const us = opUs(res, r);
    return { shape: [m, k, n], dtype: 'bf16', us, tflops: (2 * m * k * n) / us / 1e6 };
  });
}

export async function kernelRows(t: GpuTarget, s: Sizes) {
  const { rows: R, cols: C } = s;
  const { tokens: T, heads: hq, kvHeads: hk, headDim: d } = s.attention;
  const b = new Builder()
    .buf('x', [R, C]).buf('y', [R, C]).buf('z', [R, C], 'f32', false).buf('xb', [R, C], 'bf16', false).buf('w', [C])
    .buf('q', [T, hq * d]).buf('k', [T, hk * d]).buf('v', [T, hk * d]).buf('o', [T, hq * d], 'f32', false)
    .buf('dq', [T, hq * d], 'f32', false).buf('dk', [T, hk * d], 'f32', false).buf('dv', [T, hk * d], 'f32', false);
  const f = 4 * R * C;  // bytes of one f32 buffer
  const qkvo = 4 * T * d * (2 * hq + 2 * hk);  // q, k, v read and o written (backward: q, k, v, dy read)
  const dqkv = 4 * T * d * (hq + 2 * hk);  // backward's dq, dk, dv written
  const half = Math.min(64, C / 2);  // heads of 128 across the columns, as Llama's (fewer when narrower)
  const invFreq = Array.from({ length: half }, (_, i) => 10000 ** (-i / half));
  const n = s.repeats;
  const kernels = [
    { ...b.repeat(n, { op: 'copy', ins: ['x'], outs: ['y'] }, 'device-to-device copy'), bytes: 2 * f, shape: [R, C] },
    { ...b.repeat(n, { op: 'add', ins: ['x', 'y'], outs: ['z'] }, 'add'), bytes: 3 * f, shape: [R, C] },
    { ...b.repeat(n, { op: 'silu_mul', ins: ['x', 'y'], outs: ['z'] }, 'silu_mul'), bytes: 3 * f, shape: [R, C] },
    { ...b.repeat(n, { op: 'scale', ins: ['x'], outs: ['z'], attrs: { factor: 0.5 } }, 'scale'), bytes: 2 * f, shape: [R, C] },
    { ...b.repeat(n, { op: 'copy', ins: ['x'], outs: ['xb'] }, 'convert f32→bf16'), bytes: f + f / 2, shape: [R, C] },
    { ...b.repeat(n, { op: 'rmsnorm', ins: ['x', 'w'], outs: ['z'], attrs: { eps: 1e-5 } }, 'rmsnorm'), bytes: 2 * f + 4 * C, shape: [R, C] },
    { ...b.repeat(n, { op: 'softmax', ins: ['x'], outs: ['z'] }, 'softmax'), bytes: 2 * f, shape: [R, C] },
    { ...b.repeat(n, { op: 'rope', ins: ['x'], outs: ['z'], attrs: { invFreq } }, 'rope'), bytes: 2 * f, shape: [R, C] },
    { ...b.repeat(Math.min(n, 6), { op: 'attention', ins: ['q', 'k', 'v'], outs: ['o'], attrs: { headDim: d, vHeadDim: d, batch: 1 } }, 'attention'), bytes: qkvo, shape: [T, hq, hk, d] },
    { ...b.repeat(Math.min(n, 5), { op: 'attention_backward', ins: ['q', 'k', 'v', 'o'], outs: ['dq', 'dk', 'dv'], attrs: { headDim: d, vHeadDim: d, batch: 1 } }, 'attention_backward'), bytes: qkvo + dqkv, shape: [T, hq, hk, d] },
  ];
  const res = await runOn(t, b.programs(), 'element-wise and attention kernels');
  const copy = kernels[0];
  const copyGBps = copy.bytes / opUs(res, copy) / 1e3;
  return kernels.map((k) => {
    const us = opUs(res, k);
    const gbps = k.bytes / us / 1e3;
    return { kernel: k.what, shape: k.shape, bytes: k.bytes, us, gbps, copyGBps, ratio: gbps / copyGBps };
  });
}

function allReduceProgram(ranks: number, bytes: number, iters: number): RankPrograms {
  const ops: RankOp[] = Array.from({ length: iters }, () => ({ op: 'all_reduce', ins: ['x'], outs: ['x'], group: 0, label: { entry: 'all_reduce' } }));
  return {
    worldSize: ranks, groups: [Array.from({ length: ranks }, (_, i) => i)],
    buffers: Array.from({ length: ranks }, (_, rank) => ({ id: 'x', shape: [bytes / 4], dtype: 'f32' as const, rank })),
    ranks: Array.from({ length: ranks }, (_, rank) => ({ rank, ops })),
  };
}

/** Per call of a collective with every member's events: from the first member's start to the last one's end. */
function spans(res: NativeResult, iters: number): number[] {
  return Array.from({ length: iters - WARMUP }, (_, k) => {
    const ev = res.events.filter((e) => e.seq === k + WARMUP);
    return (Math.max(...ev.map((e) => e.endNs)) - Math.min(...ev.map((e) => e.startNs))) / 1e3;
  });
}

export async function allReduceRows(t: GpuTarget, s: Sizes) {
  const n = t.gpus;
  const calls = s.allReduceCalls;
  const small = await runOn(t, allReduceProgram(n, s.allReduceSmallBytes, calls), 'NCCL all_reduce, small');
  const r0 = small.events.filter((e) => e.rank === 0 && e.op >= WARMUP).sort((a, b) => a.op - b.op);
  // Back to back on one stream: the spacing of the calls' starts is the cost of issuing one.
  const perCallUs = (r0[r0.length - 1].startNs - r0[0].startNs) / (r0.length - 1) / 1e3;
  const rows: Record<string, unknown>[] = [{ what: `all_reduce ${s.allReduceSmallBytes} B × ${n} GPU(s), per call`, ranks: n, bytes: s.allReduceSmallBytes, calls, perCallUs, eventUs: median(spans(small, calls)) }];
  if (n >= 2) {
    const iters = 10;
    const large = await runOn(t, allReduceProgram(n, s.allReduceLargeBytes, iters), 'NCCL all_reduce, large');
    const us = median(spans(large, iters));
    rows.push({ what: `all_reduce ${s.allReduceLargeBytes / 2 ** 20} MiB × ${n} GPUs, bus bandwidth`, ranks: n, bytes: s.allReduceLargeBytes, us, busGBps: (s.allReduceLargeBytes / us / 1e3) * (2 * (n - 1)) / n });
  } else rows.push({ what: 'all_reduce 64 MiB bus bandwidth', status: 'not run: one GPU (a 1-rank all-reduce moves no data between GPUs)' });
  return rows;
}
