// Step "measure-addon" of test/gpu/run.sh: the addon's figures (addon-kernels.ts) and the rehearsal's
// time per layer (layer-timing.ts), into parts/addon.json, and torch-spec.json: the same shapes, sizes
// and layers for torch_reference.py to time with PyTorch. A section that fails is recorded with its
// error and the others still run (one shot: keep every figure); the step then exits 1.
// Options (environment): SHARDSCOPE_GPU_TOKENS (tokens of the timed rehearsals, default 256),
// SHARDSCOPE_GPU_BUDGET_GIB (their memory budget, default 16), SHARDSCOPE_GPU_WIDTH_SCALE (force a width).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allReduceRows, gemmRows, kernelRows, sizes } from './addon-kernels';
import { layerTimes } from './layer-timing';
import { gpuTarget, main, outDir, writePart } from './target';

main('measure-addon', async () => {
  const out = outDir();
  const t = await gpuTarget();
  const s = sizes(t.small);
  const errors: string[] = [];
  async function attempt<T>(what: string, fn: () => Promise<T>, show: (r: T) => string[]): Promise<T | { error: string }> {
    try {
      const r = await fn();
      for (const line of show(r)) console.log(line);
      return r;
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
      console.log(`${what}: FAILED: ${(e as Error).message}`);
      return { error: (e as Error).message };
    }
  }
  const gemm = await attempt('cuBLAS bf16 GEMM', () => gemmRows(t, s), (r) => r.map((g) => `cuBLAS bf16 GEMM ${g.shape.join('×')}: ${g.tflops.toFixed(1)} TFLOP/s (${g.us.toFixed(1)} µs)`));
  const kernels = await attempt('kernels', () => kernelRows(t, s), (r) => r.map((k) => `${k.kernel}: ${k.gbps.toFixed(1)} GB/s, ${k.ratio.toFixed(3)}× the copy (${k.us.toFixed(1)} µs)`));
  const allReduce = await attempt('NCCL all_reduce', () => allReduceRows(t, s), (r) => r.map((a) => JSON.stringify(a)));
  const tokens = Number(process.env.SHARDSCOPE_GPU_TOKENS ?? (t.small ? 8 : 256));
  const widthScale = process.env.SHARDSCOPE_GPU_WIDTH_SCALE ? Number(process.env.SHARDSCOPE_GPU_WIDTH_SCALE) : t.small ? 16 : undefined;
  const layers = await layerTimes(t, { tokens, budgetGiB: Number(process.env.SHARDSCOPE_GPU_BUDGET_GIB ?? 16), widthScale });
  for (const l of layers.rows) {
    if (l.error) {
      errors.push(`layers of ${l.file}: ${l.error}`);
      console.log(`${l.file}: FAILED: ${l.error}`);
    } else console.log(`${l.file}: ${(l.times as { layer: number; pass: string; spanUs: number }[]).map((x) => `layer ${x.layer} ${x.pass} ${x.spanUs.toFixed(0)} µs`).join(', ')} (widths 1/${l.widthScale}, ${l.tokens} tokens, ${l.ranks} rank(s))`);
  }
  writePart(out, 'addon', { mode: t.mode, gpus: t.gpus, device: t.discovery.topology?.devices[0]?.name, libraries: t.discovery.libraries, sizes: s, gemm, kernels, allReduce, layers: layers.rows, errors });
  const spec = {
    repeats: s.repeats,
    gemm: s.gemm,
    kernels: { rows: s.rows, cols: s.cols, attention: s.attention },
    allReduce: { ranks: t.gpus, smallBytes: s.allReduceSmallBytes, largeBytes: s.allReduceLargeBytes, calls: s.allReduceCalls },
    layers: layers.specs,
  };
  writeFileSync(join(out, 'torch-spec.json'), JSON.stringify(spec, null, 2) + '\n');
  return errors.length ? 1 : 0;
});
