// The collective sweep run on the addon (CPU rank threads, or the GPUs through NCCL): the programs and the
// fit come from the engine (extension/core/lower/sweep.ts), the run from runPrograms.
import { sweepPrograms, fitSweep, SWEEP_SIZES, type Calibration, type CalibrationFit } from '../core/lower';
import { runPrograms, type RunProgramsOptions } from './host';
import type { RuntimeBackend } from './protocol';

export interface CalibrationSweepOptions {
  /** The largest group to fit; the sweep runs 2, 4, … up to it (and it). Default 2. */
  ranks?: number;
  backend?: RuntimeBackend;
  sizes?: number[];
  repeats?: number;
  childPath?: string;
  libraryDirs?: string[];
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}

/** Group sizes a sweep up to `ranks` fits: the powers of two below it, and it. */
export function sweepRankCounts(ranks: number): number[] {
  const out: number[] = [];
  for (let n = 2; n < ranks; n *= 2) out.push(n);
  if (ranks >= 2) out.push(ranks);
  return out;
}

export async function runCalibrationSweep(o: CalibrationSweepOptions = {}): Promise<Calibration> {
  const backend = o.backend ?? 'cpu';
  const fits: CalibrationFit[] = [];
  for (const n of sweepRankCounts(o.ranks ?? 2)) {
    const sweep = sweepPrograms(n, o.sizes ?? SWEEP_SIZES, o.repeats ?? 3);
    const opts: RunProgramsOptions = { backend, timeoutMs: 60000, childPath: o.childPath, libraryDirs: o.libraryDirs, signal: o.signal };
    const res = await runPrograms(sweep.programs, opts);
    if (!res.report.ok) throw new Error(`the ${n}-rank sweep stopped: ${JSON.stringify(res.report)}`);
    const got = fitSweep(sweep, res.events);
    for (const f of got) o.onLog?.(`${f.op} on ${n} ranks: α ${f.alphaUs.toFixed(1)} µs, bus ${f.busGBps.toFixed(2)} GB/s (${f.samples.map((s) => `${s.bytes} B ${s.us.toFixed(0)} µs`).join(', ')})`);
    fits.push(...got);
  }
  return { version: 1, source: `shardscope calibrate (${backend})`, backend: backend === 'cuda' ? 'cuda' : 'cpu', fits };
}
