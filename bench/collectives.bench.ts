// Collectives of the CPU backend (ranks as threads over shared memory) and its GEMM.
// Bus bandwidth follows nccl-tests (size = the larger of input and output; all-reduce ×2(n-1)/n,
// all-gather and reduce-scatter ×(n-1)/n).
// Efficiency = the memory traffic the collective cannot avoid ÷ (time × what plain copies move in that
// time), with traffic counted in copy bytes (a copied byte is one read and one write, so copy bytes =
// (reads + writes) / 2) and copies measured as the best memcpy bandwidth of nproc threads at the
// start of the run. The unavoidable traffic is: every input byte read once, every output byte written once.
//   all_reduce, n inputs and n outputs of S bytes:   reads nS, writes nS         → nS
//   all_gather, n inputs of S/n into n outputs of S: reads S,  writes nS         → (n+1)S/2
//   reduce_scatter, n inputs of S into n of S/n:     reads nS, writes S          → (n+1)S/2
// (S is the table's size). 1.0 means the collective ran as fast as a copy of that traffic could.
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import type { RankPrograms, RankOp } from '../extension/core/lower/types';
import type { NativeResult } from '../extension/runtime';

interface Addon {
  run(p: RankPrograms, o: { timeoutMs: number; outputs: string[] }): Promise<NativeResult>;
  memcpyBandwidth(threads: number, bytesPerThread: number, iterations: number): number;
}

type Kind = 'all_reduce' | 'all_gather' | 'reduce_scatter';
const KiB = 1024, MiB = 1024 * KiB;
const SIZES = [1 * KiB, 64 * KiB, 1 * MiB, 16 * MiB, 64 * MiB, 256 * MiB];
const RANKS = [2, 4, 8];

function program(kind: Kind, n: number, bytes: number, iters: number): RankPrograms {
  const elems = bytes / 4, part = elems / n;
  const [inN, outN] = kind === 'all_reduce' ? [elems, elems] : kind === 'all_gather' ? [part, elems] : [elems, part];
  const ops: RankOp[] = Array.from({ length: iters }, () => ({ op: kind, ins: ['in'], outs: ['out'], group: 0, label: {} }));
  return {
    worldSize: n, groups: [Array.from({ length: n }, (_, i) => i)],
    buffers: Array.from({ length: n }, (_, rank) => [
      { id: 'in', shape: [inN], dtype: 'f32' as const, rank },
      { id: 'out', shape: [outN], dtype: 'f32' as const, rank },
    ]).flat(),
    ranks: Array.from({ length: n }, (_, rank) => ({ rank, ops })),
  };
}

/** Median over iterations (the first is a warm-up) of the span from the first rank's start to the last rank's end. */
function medianSeconds(res: NativeResult, iters: number): number {
  const spans: number[] = [];
  for (let s = 1; s < iters; s++) {
    const ev = res.events.filter((e) => e.seq === s);
    spans.push((Math.max(...ev.map((e) => e.endNs)) - Math.min(...ev.map((e) => e.startNs))) / 1e9);
  }
  spans.sort((a, b) => a - b);
  return spans[Math.floor(spans.length / 2)];
}

export default async function () {
  const addon = createRequire(import.meta.url)(`${process.cwd()}/native/build/Release/shardscope_native.node`) as Addon;
  const threads = cpus().length;
  // Best of several tries (the yardstick should be what copies reach, not what a busy moment allowed),
  // 256 MiB per thread so the copies run from memory, not from a large last-level cache.
  const copyBw = Math.max(...Array.from({ length: 4 }, () => addon.memcpyBandwidth(threads, 256 * MiB, 2)));
  const rows: { name: string; value: number; unit: string; budget?: number; better?: 'lower' | 'higher'; note?: string }[] = [
    { name: `memcpy, ${threads} threads`, value: copyBw / 1e9, unit: 'GB/s', better: 'higher', note: 'yardstick for efficiency' },
  ];
  for (const kind of ['all_reduce', 'all_gather', 'reduce_scatter'] as Kind[]) {
    for (const n of RANKS) {
      for (const bytes of SIZES) {
        // The first iteration is a warm-up; an odd count of timed ones has a true median. The budget's
        // size gets more of them: on a shared machine a few slow iterations moved a median of five.
        const iters = bytes >= 256 * MiB ? 4 : bytes >= 64 * MiB ? 12 : bytes >= 1 * MiB ? 8 : 30;
        const t0 = performance.now();
        const res = await addon.run(program(kind, n, bytes, iters), { timeoutMs: 120000, outputs: [] });
        const t = medianSeconds(res, iters);
        const bus = (bytes / t) * (kind === 'all_reduce' ? (2 * (n - 1)) / n : (n - 1) / n);
        const moved = kind === 'all_reduce' ? n * bytes : ((n + 1) * bytes) / 2;
        const eff = moved / (t * copyBw);
        const label = bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
        rows.push({ name: `${kind} ${n} ranks ${label} bus bandwidth`, value: bus / 1e9, unit: 'GB/s', better: 'higher', note: `${(t * 1e6).toFixed(0)} µs` });
        rows.push({ name: `${kind} ${n} ranks ${label} efficiency`, value: eff, unit: 'ratio', better: 'higher', ...(bytes === 64 * MiB ? { budget: 0.5 } : {}) });
        process.stderr.write(`  ${kind} ${n} ranks ${label}: ${eff.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
      }
    }
  }
  for (const dtype of ['f32', 'bf16'] as const) {
    const N = 1024, iters = 3;
    const p: RankPrograms = {
      worldSize: 1, groups: [[0]],
      buffers: ['A', 'B', 'C'].map((id) => ({ id, shape: [N, N], dtype, rank: 0 })),
      ranks: [{ rank: 0, ops: Array.from({ length: iters }, () => ({ op: 'gemm' as const, ins: ['A', 'B'], outs: ['C'], label: {} })) }],
    };
    const res = await addon.run(p, { timeoutMs: 120000, outputs: [] });
    const best = Math.min(...res.events.map((e) => (e.endNs - e.startNs) / 1e9));
    rows.push({ name: `GEMM ${dtype} ${N}×${N}×${N}, one thread`, value: (2 * N ** 3) / best / 1e9, unit: 'GFLOP/s', better: 'higher', note: dtype === 'bf16' ? 'bf16 storage, fp32 accumulation' : undefined });
  }
  return rows;
}
