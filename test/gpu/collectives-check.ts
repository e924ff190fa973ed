// Every collective the lowering emits, over one NCCL communicator of all the GPUs the run has (on one
// GPU, a 1-rank communicator: NCCL still runs each call), against the CPU backend's shared-memory
// collectives on the same inputs. send/recv pair two ranks, so they need two GPUs.
import type { RankOp, RankPrograms } from '../../extension/core/lower';
import { runPrograms } from '../../extension/runtime';
import type { GpuTarget } from './target';

export interface CollectiveCheck {
  name: string;
  ranks: number;
  status: 'ok' | 'failed' | string;
  maxAbsError?: number;
  events?: number;
  message?: string;
}

type Case = { name: string; op: RankOp['op']; inRows: number; outRows: number; attrs?: (n: number, rank: number) => RankOp['attrs']; minRanks?: number; peer?: boolean };

const COLS = 6;

function cases(): Case[] {
  return [
    { name: 'all_reduce sum', op: 'all_reduce', inRows: 4, outRows: 4 },
    { name: 'all_reduce max', op: 'all_reduce', inRows: 4, outRows: 4, attrs: () => ({ reduce: 'max' }) },
    { name: 'all_gather dim 0', op: 'all_gather', inRows: 3, outRows: -3 },
    { name: 'all_gather dim 1', op: 'all_gather', inRows: 3, outRows: -3, attrs: () => ({ dim: 1 }) },
    { name: 'reduce_scatter dim 0', op: 'reduce_scatter', inRows: -2, outRows: 2 },
    { name: 'reduce_scatter dim 1', op: 'reduce_scatter', inRows: -2, outRows: 2, attrs: () => ({ dim: 1 }) },
    { name: 'broadcast', op: 'broadcast', inRows: 4, outRows: 4, attrs: (n) => ({ root: n - 1 }) },
    { name: 'all_to_all', op: 'all_to_all', inRows: -2, outRows: -2 },
    { name: 'all_to_all_v', op: 'all_to_all_v', inRows: -1, outRows: -1, attrs: (n) => ({ sendCounts: Array(n).fill(1), recvCounts: Array(n).fill(1) }) },
    { name: 'send/recv', op: 'send', inRows: 4, outRows: 4, minRanks: 2, peer: true },
  ];
}

/** Negative rows: that many per rank (the n-fold side of a gather or scatter). */
const rows = (r: number, n: number) => (r < 0 ? -r * n : r);

function program(c: Case, n: number): { p: RankPrograms; data: Record<string, Float32Array>; outputs: string[] } {
  const p: RankPrograms = { worldSize: n, groups: [Array.from({ length: n }, (_, i) => i)], buffers: [], ranks: Array.from({ length: n }, (_, rank) => ({ rank, ops: [] })) };
  const data: Record<string, Float32Array> = {};
  const dim1 = c.attrs?.(n, 0)?.dim === 1;
  for (let r = 0; r < n; r++) {
    // dim 1: the n-fold side is the columns, rows stay as written.
    const inShape = dim1 ? [Math.abs(c.inRows), c.inRows < 0 ? COLS * n : COLS] : [rows(c.inRows, n), COLS];
    const outShape = dim1 ? [Math.abs(c.outRows), c.outRows < 0 ? COLS * n : COLS] : [rows(c.outRows, n), COLS];
    p.buffers.push({ id: 'x', shape: inShape, dtype: 'f32', rank: r }, { id: 'y', shape: outShape, dtype: 'f32', rank: r });
    data[`${r}/x`] = Float32Array.from({ length: inShape[0] * inShape[1] }, (_, i) => Math.sin(1 + i * 0.37 + r * 1.7) * (r + 1));
    if (c.peer) {
      if (r % 2 === 0 && r + 1 < n) p.ranks[r].ops.push({ op: 'send', ins: ['x'], outs: [], group: 0, attrs: { peer: r + 1 }, label: { entry: c.name } });
      if (r % 2 === 1) p.ranks[r].ops.push({ op: 'recv', ins: [], outs: ['y'], group: 0, attrs: { peer: r - 1 }, label: { entry: c.name } });
    } else p.ranks[r].ops.push({ op: c.op, ins: ['x'], outs: ['y'], group: 0, attrs: c.attrs?.(n, r), label: { entry: c.name } });
  }
  const outputs = Array.from({ length: n }, (_, r) => `${r}/y`);
  return { p, data, outputs };
}

export async function checkCollectives(t: GpuTarget): Promise<CollectiveCheck[]> {
  const n = Math.min(t.gpus, 8);
  const out: CollectiveCheck[] = [];
  for (const c of cases()) {
    if (n < (c.minRanks ?? 1)) {
      out.push({ name: c.name, ranks: n, status: `not run: needs ${c.minRanks} GPUs, ${n} visible` });
      continue;
    }
    const { p, data, outputs } = program(c, n);
    const common = { outputs, data, childPath: t.childPath, timeoutMs: 60000 };
    const cpu = await runPrograms(p, { ...common, backend: 'cpu' });
    const gpu = await runPrograms(p, { ...common, backend: 'cuda', libraryDirs: t.libraryDirs, env: t.env });
    const failed = [cpu, gpu].find((r) => !r.report.ok);
    if (failed) {
      out.push({ name: c.name, ranks: n, status: 'failed', message: `${failed === cpu ? 'CPU' : 'CUDA'} run: ${failed.report.message}` });
      continue;
    }
    let maxAbsError = 0;
    for (const k of outputs) {
      if (!(k in gpu.outputs) || !(k in cpu.outputs)) continue;  // a sending rank's y is never written
      const a = gpu.outputs[k], b = cpu.outputs[k];
      if (a.length !== b.length) maxAbsError = Infinity;
      else for (let i = 0; i < a.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(a[i] - b[i]));
    }
    const ops = p.ranks.reduce((s, r) => s + r.ops.length, 0);
    const ok = maxAbsError <= 1e-5 && gpu.events.length === ops;
    out.push({ name: c.name, ranks: n, status: ok ? 'ok' : 'failed', maxAbsError, events: gpu.events.length, message: ok ? undefined : `max |CUDA − CPU| ${maxAbsError}, ${gpu.events.length} events for ${ops} ops` });
  }
  return out;
}
