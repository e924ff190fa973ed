// Step "bench" of test/gpu/run.sh: bench/cuda.bench.ts as `npm run bench cuda` runs it (the addon loaded
// in this process, discovery through the Python environment's NVIDIA wheels), its rows into
// parts/bench.json. A bench that finds no GPU fails the step instead of printing a skipped row.
// With the stand-in (SHARDSCOPE_GPU_STANDIN=1) its library folder is the bench's library setting.
import cudaBench from '../../bench/cuda.bench';
import { standinDir } from '../native/standin/build';
import { STANDIN, main, outDir, writePart } from './target';

main('bench', async () => {
  const out = outDir();
  if (STANDIN) {
    process.env.SHARDSCOPE_CUDA_LIBS = standinDir();
    process.env.SHARDSCOPE_STANDIN_GPUS ??= '1';
    process.env.SHARDSCOPE_CUDA_BENCH_N ??= '64';
  }
  const rows = await cudaBench();
  for (const r of rows) console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
  writePart(out, 'bench', { rows });
  const skipped = rows.find((r) => /^skipped/.test(r.note ?? ''));
  if (skipped) throw new Error(`the CUDA bench did not run: ${skipped.note}`);
  if (!rows.some((r) => r.unit === 'TFLOP/s' && r.value > 0)) throw new Error('the CUDA bench gave no GEMM figure');
});
