// The collective sweep run on the addon (CPU rank threads, or the GPUs through NCCL): the programs and the
// fit come from the engine (extension/core/lower/sweep.ts), the run from runPrograms.
import { sweepPrograms, fitSweep, fitCompute, SWEEP_SIZES, defaultCostModel, slowestLink, type Calibration, type CalibrationFit, type ComputeFit, type CostModel } from '../core/lower';
import { runPrograms, discoverCuda, type RunProgramsOptions } from './host';
import { cudaLibraryDirs } from './libraryDirs';
import { toLinkTopology } from './topology';
import type { RuntimeBackend, GpuTopology } from './protocol';

/**
 * The CUDA cost model with NVLink or PCIe defaults from the GPUs' detected topology (the slowest pair
 * among ranks 0..ranks−1); undefined when discovery finds no topology (no NVML, or no CUDA backend).
 */
export async function detectedCostModel(ranks: number | undefined, o: { childPath?: string; libraryDirs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<{ model: CostModel; note: string } | undefined> {
  let topology: GpuTopology | undefined;
  try {
    topology = (await discoverCuda(o.libraryDirs ?? cudaLibraryDirs({}), { childPath: o.childPath, env: o.env })).topology;
  } catch {
    return undefined;
  }
  if (!topology || !topology.links.length) return undefined;
  const n = Math.min(ranks ?? topology.devices.length, topology.devices.length);
  const members = Array.from({ length: n }, (_, i) => i);
  const link = slowestLink(toLinkTopology(topology), members);
  return { model: defaultCostModel('cuda', toLinkTopology(topology), members), note: `collectives predicted with ${link === 'nvlink' ? 'NVLink' : 'PCIe'} defaults: the slowest link among GPUs ${members.join(', ')} is ${link === 'nvlink' ? 'NVLink' : 'PCIe'} (run shardscope calibrate --backend cuda to fit them)` };
}

export interface CalibrationSweepOptions {
  /** The largest group to fit; the sweep runs 2, 4, … up to it (and it). Default 2. */
  ranks?: number;
  backend?: RuntimeBackend;
  sizes?: number[];
  repeats?: number;
  childPath?: string;
  libraryDirs?: string[];
  env?: NodeJS.ProcessEnv;
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
  const compute: ComputeFit[] = [];
  for (const n of sweepRankCounts(o.ranks ?? 2)) {
    const sweep = sweepPrograms(n, o.sizes ?? SWEEP_SIZES, o.repeats ?? 3);
    const opts: RunProgramsOptions = { backend, timeoutMs: 60000, childPath: o.childPath, libraryDirs: o.libraryDirs, env: o.env, signal: o.signal };
    const res = await runPrograms(sweep.programs, opts);
    if (!res.report.ok) throw new Error(`the ${n}-rank sweep stopped: ${JSON.stringify(res.report)}`);
    const got = fitSweep(sweep, res.events);
    for (const f of got) o.onLog?.(`${f.op} on ${n} ranks: α ${f.alphaUs.toFixed(1)} µs, bus ${f.busGBps.toFixed(2)} GB/s (${f.samples.map((s) => `${s.bytes} B ${s.us.toFixed(0)} µs`).join(', ')})`);
    fits.push(...got);
    const c = fitCompute(sweep, res.events);
    if (c) {
      o.onLog?.(`compute on ${n} ranks at once: GEMM ${(c.gemmFlops / 1e9).toFixed(2)} GFLOP/s and memory ${(c.memBytesPerSec / 1e9).toFixed(2)} GB/s per rank`);
      compute.push(c);
    }
  }
  return { version: 1, source: `shardscope calibrate (${backend})`, backend: backend === 'cuda' ? 'cuda' : 'cpu', fits, compute };
}
