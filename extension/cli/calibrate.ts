// shardscope calibrate: run a small sweep of the runtime's own collectives (all_reduce, all_gather,
// reduce_scatter at a few sizes, on 2, 4, … N ranks), fit α and bus bandwidth per collective and rank
// count, and write the calibration `shardscope run --calibration` reads.
import { writeFileSync } from 'node:fs';
import { register } from './commands';
import { UsageError, optString, type ParsedArgs } from './args';
import { CalibrationError } from '../core/lower';
import { runCalibrationSweep } from '../runtime/calibrate';
import { RuntimeProgramError } from '../runtime';

function ranksOpt(args: ParsedArgs): number {
  const v = optString(args, 'ranks');
  if (v === undefined) return 2;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || n > 64) throw new UsageError(`--ranks: expected a whole number of ranks from 2 to 64, got ${v}`);
  return n;
}

register({
  name: 'calibrate',
  summary: "fit the cost model's collectives (α and bus bandwidth per collective and rank count) from a sweep on this machine's runtime; write it for shardscope run --calibration",
  usage: 'shardscope calibrate [--ranks N] [--backend cpu|cuda] [--out calibration.json]',
  async run(args, io) {
    const ranks = ranksOpt(args);
    const backend = optString(args, 'backend') ?? 'cpu';
    if (backend !== 'cpu' && backend !== 'cuda') throw new UsageError(`--backend: expected cpu or cuda, got ${backend}`);
    let calibration;
    try {
      // SHARDSCOPE_RUNTIME_CHILD: a runtime child script other than the one beside this bundle (development trees).
      calibration = await runCalibrationSweep({ ranks, backend, childPath: process.env.SHARDSCOPE_RUNTIME_CHILD || undefined, onLog: (l) => io.out(l) });
    } catch (e) {
      if (e instanceof CalibrationError || e instanceof RuntimeProgramError) throw new UsageError(e.message, 1);
      if (e instanceof Error && /addon|runtime|child/i.test(e.message)) throw new UsageError(`the native runtime cannot run the sweep: ${e.message}`, 1);
      throw e;
    }
    const text = JSON.stringify(calibration, null, 2);
    const out = optString(args, 'out');
    if (out) {
      writeFileSync(out, text + '\n');
      io.out(`calibration: ${out} (use it with shardscope run <plan> --calibration ${out})`);
    } else io.out(text);
    return 0;
  },
});
