// Step "measure-addon" of test/gpu/run.sh: the addon's figures (addon-kernels.ts) and the rehearsal's
// time per layer (layer-timing.ts), into parts/addon.json, and torch-spec.json: the same shapes, sizes
// and layers for torch_reference.py to time with PyTorch.
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
  const gemm = await gemmRows(t, s);
  console.log(gemm.map((g) => `cuBLAS bf16 GEMM ${g.shape.join('×')}: ${g.tflops.toFixed(1)} TFLOP/s (${g.us.toFixed(1)} µs)`).join('\n'));
  const kernels = await kernelRows(t, s);
  console.log(kernels.map((k) => `${k.kernel}: ${k.gbps.toFixed(1)} GB/s, ${k.ratio.toFixed(3)}× the copy (${k.us.toFixed(1)} µs)`).join('\n'));
  const allReduce = await allReduceRows(t, s);
  console.log(allReduce.map((a) => JSON.stringify(a)).join('\n'));
  const tokens = Number(process.env.SHARDSCOPE_GPU_TOKENS ?? (t.small ? 8 : 256));
  const widthScale = process.env.SHARDSCOPE_GPU_WIDTH_SCALE ? Number(process.env.SHARDSCOPE_GPU_WIDTH_SCALE) : t.small ? 16 : undefined;
  const layers = await layerTimes(t, { tokens, budgetGiB: Number(process.env.SHARDSCOPE_GPU_BUDGET_GIB ?? 16), widthScale });
  for (const l of layers.rows) console.log(`${l.file}: ${(l.times as { layer: number; pass: string; spanUs: number }[]).map((x) => `layer ${x.layer} ${x.pass} ${x.spanUs.toFixed(0)} µs`).join(', ')} (widths 1/${l.widthScale}, ${l.tokens} tokens, ${l.ranks} rank(s))`);
  writePart(out, 'addon', { mode: t.mode, gpus: t.gpus, device: t.discovery.topology?.devices[0]?.name, libraries: t.discovery.libraries, sizes: s, gemm, kernels, allReduce, layers: layers.rows });
  const spec = {
    repeats: s.repeats,
    gemm: s.gemm,
    kernels: { rows: s.rows, cols: s.cols, attention: s.attention },
    allReduce: { ranks: t.gpus, smallBytes: s.allReduceSmallBytes, largeBytes: s.allReduceLargeBytes, calls: (allReduce[0] as { calls: number }).calls },
    layers: layers.specs,
  };
  writeFileSync(join(out, 'torch-spec.json'), JSON.stringify(spec, null, 2) + '\n');
});
