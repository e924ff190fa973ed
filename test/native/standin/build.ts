// Builds the stand-in CUDA library (test/native/standin/*.cc) with g++ into a temporary folder, once per
// source version, and links it there under every soname the CUDA backend looks for. Never committed:
// tests build it on first use (a dozen seconds), later runs reuse it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const STANDIN_SONAMES = {
  cuda: 'libcuda.so.1',
  nvrtc: 'libnvrtc.so.13',
  cublas: 'libcublas.so.13',
  nccl: 'libnccl.so.2',
  nvml: 'libnvidia-ml.so.1',
} as const;
export type StandinLibrary = keyof typeof STANDIN_SONAMES;

const SRC = 'test/native/standin';
const SHARED = ['native/src/cuda/api.h', 'native/src/cuda/kernels.inc'];

function sources(): string[] {
  return readdirSync(SRC).filter((f) => /\.(cc|h)$/.test(f)).sort().map((f) => join(SRC, f));
}

/** The compiled library (libstandin.so), built if this version of the sources was not built yet. */
export function standinLibrary(): string {
  const files = [...sources(), ...SHARED];
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(f));
  const dir = join(tmpdir(), `shardscope-standin-${h.digest('hex').slice(0, 16)}`);
  const lib = join(dir, 'libstandin.so');
  if (existsSync(lib)) return lib;
  mkdirSync(dir, { recursive: true });
  const tmp = `${lib}.${process.pid}.tmp`;
  execFileSync('g++', ['-std=c++17', '-O2', '-shared', '-fPIC', '-pthread', '-fvisibility=hidden', '-o', tmp,
    ...files.filter((f) => f.endsWith('.cc'))], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300000 });
  renameSync(tmp, lib);  // atomic: a test running beside this one never loads half a file
  return lib;
}

/**
 * A folder holding the stand-in under the sonames of `libraries` (default: all five), to hand to the
 * backend as its library search path. Leaving one out makes that library "missing".
 */
export function standinDir(libraries: StandinLibrary[] = Object.keys(STANDIN_SONAMES) as StandinLibrary[]): string {
  const lib = standinLibrary();
  const dir = join(lib, '..', `only-${[...libraries].sort().join('-')}`);
  if (!existsSync(dir)) {
    mkdirSync(`${dir}.${process.pid}`, { recursive: true });
    for (const l of libraries) symlinkSync(lib, join(`${dir}.${process.pid}`, STANDIN_SONAMES[l]));
    try { renameSync(`${dir}.${process.pid}`, dir); } catch { /* another test made it first */ }
  }
  return dir;
}
