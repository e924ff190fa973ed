// NVIDIA's own wheels from the machine's local wheel mirror, when it has them: the real NVRTC and NCCL
// load and answer without a GPU, so the backend's symbols and kernel source are checked against them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MIRROR = ['--index-url', 'file:///opt/pypi/simple', '--extra-index-url', 'file:///opt/pypi-more/simple'];

/** Downloads the first of `packages` the mirror has and extracts the files under `libDir`; the folder, or undefined. */
function wheelLib(cache: string, packages: string[], prefix: string, libDir: string, files: RegExp): string | undefined {
  const root = join(tmpdir(), cache);
  const lib = join(root, 'site-packages', libDir);
  if (existsSync(lib) && readdirSync(lib).some((f) => files.test(f))) return lib;
  try {
    mkdirSync(root, { recursive: true });
    if (!readdirSync(root).some((f) => f.startsWith(prefix) && f.endsWith('.whl')))
      for (const pkg of packages) {
        try {
          execFileSync('pip', ['download', '--no-deps', ...MIRROR, pkg, '-d', root], { stdio: 'ignore', timeout: 300000 });
          break;
        } catch { /* try the next */ }
      }
    const whl = readdirSync(root).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
    if (!whl) return undefined;
    execFileSync('python3', ['-c', `import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    if n.startswith(sys.argv[3] + '/') and re.search(sys.argv[4], n.rsplit('/', 1)[-1]): z.extract(n, sys.argv[2])`,
    join(root, whl), join(root, 'site-packages'), libDir, files.source], { timeout: 300000 });
    return existsSync(lib) ? lib : undefined;
  } catch {
    return undefined;
  }
}

/** nvidia/cu13/lib with libnvrtc.so.13 and its builtins (nvidia-cuda-nvrtc, CUDA 13). */
export function realNvrtcDir(): string | undefined {
  return wheelLib('shardscope-nvrtc-wheel', ['nvidia-cuda-nvrtc'], 'nvidia_cuda_nvrtc', 'nvidia/cu13/lib', /^libnvrtc(-builtins)?\.so/);
}

/** nvidia/nccl/lib with libnccl.so.2 (nvidia-nccl-cu13 or -cu12). */
export function realNcclDir(): string | undefined {
  return wheelLib('shardscope-nccl-wheel', ['nvidia-nccl-cu13', 'nvidia-nccl-cu12'], 'nvidia_nccl', 'nvidia/nccl/lib', /^libnccl\.so\.2$/);
}
