// What the GPU run's scripts run on: the machine's real CUDA libraries and GPUs (SHARDSCOPE_CUDA_REAL=1,
// as test/gpu/run.sh sets it), or the tests' stand-in library (SHARDSCOPE_GPU_STANDIN=1: the plumbing
// proved on a machine without a GPU). Also the few helpers every script of the run shares: where the
// results go, medians, and one failure path that names the step.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cudaLibraryDirs, discoverCuda, pythonSitePackages, type Discovery } from '../../extension/runtime';
import { standinDir } from '../native/standin/build';

export interface GpuTarget {
  mode: 'real' | 'standin';
  libraryDirs: string[];
  env: NodeJS.ProcessEnv;
  /** The runtime child built on the preparing machine (dist/, carried). */
  childPath: string;
  discovery: Discovery;
  gpus: number;
  /** Small sizes: the stand-in runs kernels on the CPU thread by thread. */
  small: boolean;
}

export const STANDIN = process.env.SHARDSCOPE_GPU_STANDIN === '1';

export async function gpuTarget(): Promise<GpuTarget> {
  const childPath = resolve('dist/runtime-child.js');
  if (STANDIN) {
    const gpus = Number(process.env.SHARDSCOPE_STANDIN_GPUS ?? 1);
    const env = { ...process.env, LD_LIBRARY_PATH: '', SHARDSCOPE_STANDIN_GPUS: String(gpus) };
    const libraryDirs = [standinDir()];
    const discovery = await discoverCuda(libraryDirs, { childPath, env });
    if (!discovery.cuda) throw new Error(`the stand-in library did not load: ${discovery.reason}`);
    return { mode: 'standin', libraryDirs, env, childPath, discovery, gpus: discovery.devices, small: true };
  }
  if (process.env.SHARDSCOPE_CUDA_REAL !== '1') throw new Error('set SHARDSCOPE_CUDA_REAL=1 (real GPUs) or SHARDSCOPE_GPU_STANDIN=1 (the stand-in library)');
  const libraryDirs = cudaLibraryDirs({ setting: process.env.SHARDSCOPE_CUDA_LIBS, sitePackages: await pythonSitePackages(process.env.PYTHON ?? 'python3') });
  const discovery = await discoverCuda(libraryDirs, { childPath });
  if (!discovery.cuda) throw new Error(`CUDA discovery failed: ${discovery.reason}`);
  return { mode: 'real', libraryDirs, env: process.env, childPath, discovery, gpus: discovery.devices, small: process.env.SHARDSCOPE_GPU_SMALL === '1' };
}

/** The output folder (first argument) and its parts/ folder, where each script writes its JSON. */
export function outDir(): string {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node <script> <output folder>');
  mkdirSync(join(out, 'parts'), { recursive: true });
  return out;
}

export function writePart(out: string, name: string, value: unknown): void {
  writeFileSync(join(out, 'parts', `${name}.json`), JSON.stringify(value, null, 2) + '\n');
}

export const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Runs a script's main; an exception ends the process with status 1 and the step's name. */
export function main(step: string, fn: () => Promise<number | void>): void {
  fn().then(
    (code) => { process.exitCode = code ?? 0; },
    (e: Error) => {
      console.error(`${step}: FAILED: ${e.stack ?? e.message}`);
      process.exitCode = 1;
    },
  );
}
