// The CUDA backend on this machine's GPUs, when discovery finds them (one row saying why not
// otherwise): cuBLAS GEMM throughput (fp32 and bf16 storage, fp32 compute) and NCCL all-reduce bus
// bandwidth (nccl-tests convention, 2(n−1)/n) across every GPU, both from the backend's own CUDA events.
import { createRequire } from 'node:module';
import type { RankPrograms, RankOp, BufferDType } from '../extension/core/lower/types';
import type { Discovery, NativeResult } from '../extension/runtime';
import { cudaLibraryDirs, pythonSitePackages } from '../extension/runtime';

interface Addon {
  run(p: RankPrograms, o: { timeoutMs: number; outputs: string[]; backend: 'cuda'; libraryDirs: string[]; trace?: boolean }): Promise<NativeResult>;
  discover(o: { dirs: string[] }): Discovery;
}
type Row = { name: string; value: number; unit: string; budget?: number; better?: 'lower' | 'higher'; note?: string };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function gemmProgram(n: number, dtype: BufferDType, iters: number): RankPrograms {
  const ops: RankOp[] = Array.from({ length: iters }, () => ({ op: 'gemm', ins: ['a', 'b'], outs: ['c'], label: {} }));
  const init = (key: string) => ({ kind: 'param' as const, key, globalShape: [n, n], ranges: [[[0, n], [0, n]]] as [number, number][][], scale: 0.1 });
  return {
    worldSize: 1, groups: [],
    buffers: [{ id: 'a', shape: [n, n], dtype, rank: 0, init: init('a') }, { id: 'b', shape: [n, n], dtype, rank: 0, init: init('b') }, { id: 'c', shape: [n, n], dtype, rank: 0 }],
    ranks: [{ rank: 0, ops }],
  };
}

function allReduceProgram(ranks: number, bytes: number, iters: number): RankPrograms {
  const ops: RankOp[] = Array.from({ length: iters }, () => ({ op: 'all_reduce', ins: ['x'], outs: ['x'], group: 0, label: {} }));
  return {
    worldSize: ranks, groups: [Array.from({ length: ranks }, (_, i) => i)],
    buffers: Array.from({ length: ranks }, (_, rank) => ({ id: 'x', shape: [bytes / 4], dtype: 'f32' as const, rank })),
    ranks: Array.from({ length: ranks }, (_, rank) => ({ rank, ops })),
  };
}

export default async function (): Promise<Row[]> {
  const addon = createRequire(import.meta.url)(`${process.cwd()}/native/build/Release/shardscope_native.node`) as Addon;
  const dirs = cudaLibraryDirs({ setting: process.env.SHARDSCOPE_CUDA_LIBS, sitePackages: await pythonSitePackages(process.env.PYTHON ?? 'python3') });
  const d = addon.discover({ dirs });
  if (!d.cuda) return [{ name: 'CUDA backend', value: 0, unit: 'GPUs', note: `skipped: ${d.reason ?? 'no GPU'}` }];
  const rows: Row[] = [];
  for (const dtype of ['f32', 'bf16'] as BufferDType[]) {
    const n = Number(process.env.SHARDSCOPE_CUDA_BENCH_N ?? 4096), iters = 12;
    const res = await addon.run(gemmProgram(n, dtype, iters), { timeoutMs: 120000, outputs: [], backend: 'cuda', libraryDirs: dirs });
    const s = median(res.events.slice(2).map((e) => (e.endNs - e.startNs) / 1e9));
    rows.push({ name: `cuBLAS GEMM ${n}³ ${dtype}`, value: (2 * n ** 3) / s / 1e12, unit: 'TFLOP/s', better: 'higher', note: d.topology?.devices[0]?.name });
  }
  if (d.devices >= 2) {
    const bytes = 64 * 1024 * 1024, iters = 10, n = d.devices;
    const res = await addon.run(allReduceProgram(n, bytes, iters), { timeoutMs: 120000, outputs: [], backend: 'cuda', libraryDirs: dirs });
    const spans = Array.from({ length: iters - 2 }, (_, k) => {
      const ev = res.events.filter((e) => e.seq === k + 2);
      return (Math.max(...ev.map((e) => e.endNs)) - Math.min(...ev.map((e) => e.startNs))) / 1e9;
    });
    rows.push({ name: `NCCL all_reduce 64 MiB × ${n} GPUs`, value: (bytes / median(spans)) * (2 * (n - 1)) / n / 1e9, unit: 'GB/s bus', better: 'higher' });
  }
  return rows;
}
