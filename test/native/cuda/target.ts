// Where the CUDA tests run: against the stand-in library (test/native/standin/, built on first use) by
// default, or against the machine's real CUDA libraries and GPUs when SHARDSCOPE_CUDA_REAL=1
// (test/gpu/run.sh sets it on GPU machines). Tests that inject failures into the stand-in skip there.
import { cudaLibraryDirs, discoverCuda, pythonSitePackages, runPrograms, type RunProgramsOptions } from '../../../extension/runtime';
import type { RankPrograms } from '../../../extension/core/lower/types';
import { childPath } from '../runtime/helpers';
import { standinDir, type StandinLibrary } from '../standin/build';

export const REAL = process.env.SHARDSCOPE_CUDA_REAL === '1';

export interface Target {
  libraryDirs: string[];
  env: NodeJS.ProcessEnv;
  /** GPUs available to one run. */
  gpus: number;
}

let real: Promise<Target> | undefined;

/** The stand-in with `gpus` GPUs and extra environment, or the real libraries. */
export async function target(o: { gpus?: number; env?: NodeJS.ProcessEnv; libraries?: StandinLibrary[] } = {}): Promise<Target> {
  if (REAL) {
    real ??= (async () => {
      const dirs = cudaLibraryDirs({ setting: process.env.SHARDSCOPE_CUDA_LIBS, sitePackages: await pythonSitePackages(process.env.PYTHON ?? 'python3') });
      const d = await discoverCuda(dirs, { childPath: childPath() });
      if (!d.cuda) throw new Error(`SHARDSCOPE_CUDA_REAL=1 but discovery failed: ${d.reason}`);
      return { libraryDirs: dirs, env: process.env, gpus: d.devices };
    })();
    return real;
  }
  const gpus = o.gpus ?? 8;
  return {
    libraryDirs: [standinDir(o.libraries)],
    env: { ...process.env, LD_LIBRARY_PATH: '', SHARDSCOPE_STANDIN_GPUS: String(gpus), ...o.env },
    gpus,
  };
}

export function runCuda(p: RankPrograms, t: Target, opts: RunProgramsOptions = {}) {
  return runPrograms(p, { childPath: childPath(), timeoutMs: 20000, ...opts, backend: 'cuda', libraryDirs: t.libraryDirs, env: t.env });
}

export function runCpu(p: RankPrograms, opts: RunProgramsOptions = {}) {
  return runPrograms(p, { childPath: childPath(), timeoutMs: 20000, ...opts, backend: 'cpu' });
}

export function discoverWith(t: Target) {
  return discoverCuda(t.libraryDirs, { childPath: childPath(), env: t.env });
}
