// Where the CUDA libraries are looked for, in order: the shardscope.cudaLibraryPath setting, CUDA_HOME,
// LD_LIBRARY_PATH, then the nvidia/*/lib folders of the workspace's Python environment (PyTorch's wheels
// carry libnccl, libcublas and libnvrtc there). The driver's libcuda comes from the system loader.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runIsolatedPython } from './isolatedPython';

export function cudaLibraryDirs(o: { setting?: string; env?: NodeJS.ProcessEnv; sitePackages?: string[] }): string[] {
  const env = o.env ?? process.env;
  const dirs: string[] = [];
  if (o.setting) dirs.push(o.setting);
  if (env.CUDA_HOME) dirs.push(join(env.CUDA_HOME, 'lib64'), join(env.CUDA_HOME, 'lib'));
  for (const d of (env.LD_LIBRARY_PATH ?? '').split(':')) if (d) dirs.push(d);
  for (const sp of o.sitePackages ?? []) dirs.push(...nvidiaLibDirs(sp));
  return [...new Set(dirs)];
}

/** site-packages/nvidia/<pkg>/lib for every NVIDIA wheel installed there (nccl, cublas, cuda_nvrtc, cu13 ...). */
export function nvidiaLibDirs(sitePackages: string): string[] {
  const root = join(sitePackages, 'nvidia');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const lib = join(root, name, 'lib');
    if (existsSync(lib)) out.push(lib);
  }
  return out;
}

/** The site-packages folders of a Python interpreter, or [] when it cannot be run. The interpreter runs
 *  isolated (runIsolatedPython): `base` resolves a relative interpreter path, the current folder never
 *  reaches its sys.path. */
export async function pythonSitePackages(python: string, o: { base?: string; timeoutMs?: number } = {}): Promise<string[]> {
  const code = 'import json, site, sys; print(json.dumps(site.getsitepackages() + [site.getusersitepackages()]))';
  const r = await runIsolatedPython(python, code, { base: o.base, timeoutMs: o.timeoutMs ?? 10000 });
  if (!r.ok) return [];
  try {
    const v: unknown = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]');
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
