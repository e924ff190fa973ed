import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverCuda, cudaLibraryDirs, nvidiaLibDirs, pythonSitePackages } from '../../../extension/runtime';
import { childPath } from './helpers';

test('library folders: setting, CUDA_HOME, LD_LIBRARY_PATH, then nvidia/*/lib of site-packages, without repeats', () => {
  const sp = mkdtempSync(join(tmpdir(), 'ss-site-'));
  for (const p of ['nvidia/nccl/lib', 'nvidia/cublas/lib', 'nvidia/cuda_nvrtc/lib', 'nvidia/nolib']) mkdirSync(join(sp, p), { recursive: true });
  const dirs = cudaLibraryDirs({ setting: '/opt/x', env: { CUDA_HOME: '/usr/local/cuda', LD_LIBRARY_PATH: '/a::/opt/x' }, sitePackages: [sp, '/does/not/exist'] });
  assert.deepEqual(dirs, ['/opt/x', '/usr/local/cuda/lib64', '/usr/local/cuda/lib', '/a',
    join(sp, 'nvidia/cublas/lib'), join(sp, 'nvidia/cuda_nvrtc/lib'), join(sp, 'nvidia/nccl/lib')]);
  assert.deepEqual(nvidiaLibDirs('/does/not/exist'), []);
});

test("the workspace Python's site-packages are found; a missing interpreter gives none", async () => {
  assert.deepEqual(await pythonSitePackages('/no/such/python'), []);
  const found = await pythonSitePackages('python3');
  assert.ok(found.length > 0 && found.some((p) => /(site|dist)-packages/.test(p)), String(found));
});

/** Whether the system loader (ld.so.cache) finds a library by its soname, whatever the folders we pass. */
function systemLoaderHas(soname: string): boolean {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      return execFileSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 10000 }).split('\n').some((l) => l.trim().startsWith(`${soname} `));
    } catch { /* try the next */ }
  }
  return false;
}

test('an empty folder and no LD_LIBRARY_PATH: every library is reported, none from that folder', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'ss-nolib-'));
  const d = await discoverCuda([empty], { childPath: childPath(), env: { ...process.env, LD_LIBRARY_PATH: '' } });
  assert.deepEqual(d.libraries.map((l) => l.name), ['cuda', 'nvrtc', 'cublas', 'nccl', 'nvml']);
  for (const l of d.libraries) assert.ok(!l.path?.startsWith(empty), `${l.name} from ${l.path}`);
  const cuda = d.libraries[0];
  if (systemLoaderHas('libcuda.so.1')) {
    // A machine with a driver: the system loader still finds it by soname (the only other place left).
    assert.equal(cuda.path, 'libcuda.so.1');
  } else {
    assert.equal(d.cuda, false);
    assert.equal(d.devices, 0);
    assert.match(d.reason ?? '', /^cuda: dlopen failed: libcuda\.so\.1: cannot open shared object file/);
  }
});

// A stand-in driver whose cuInit answers CUDA_ERROR_NO_DEVICE: the folder is searched before the
// system loader, so this holds on machines with and without a real driver.
test('discovery says which call failed when the driver finds no GPU', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-nodev-'));
  writeFileSync(join(dir, 'cuda.c'), [
    'int cuInit(unsigned int flags) { (void)flags; return 100; }',
    'int cuDeviceGetCount(int* n) { *n = 0; return 100; }',
    'int cuDriverGetVersion(int* v) { *v = 12040; return 0; }',
    'int cuGetErrorString(int e, const char** s) { *s = e == 100 ? "no CUDA-capable device is detected" : "unknown"; return 0; }',
  ].join('\n'));
  execFileSync('gcc', ['-shared', '-fPIC', '-o', join(dir, 'libcuda.so.1'), join(dir, 'cuda.c')]);
  const d = await discoverCuda([dir], { childPath: childPath(), env: { ...process.env, LD_LIBRARY_PATH: '' } });
  assert.equal(d.cuda, false);
  assert.equal(d.devices, 0);
  assert.equal(d.libraries[0].path, join(dir, 'libcuda.so.1'));
  assert.equal(d.libraries[0].error, 'cuInit failed with 100 (no CUDA-capable device is detected)');
  assert.equal(d.reason, 'cuda: cuInit failed with 100 (no CUDA-capable device is detected)');
});

test('a library that loads but lacks the symbol is reported by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-fake-'));
  writeFileSync(join(dir, 'x.c'), 'int unrelated(void) { return 0; }\n');
  execFileSync('gcc', ['-shared', '-fPIC', '-o', join(dir, 'libnccl.so.2'), join(dir, 'x.c')]);
  const d = await discoverCuda([dir], { childPath: childPath() });
  const nccl = d.libraries.find((l) => l.name === 'nccl');
  assert.equal(nccl?.path, join(dir, 'libnccl.so.2'));
  assert.equal(nccl?.error, 'symbol ncclGetVersion not found');
});

// NVIDIA's NCCL wheel from the machine's local wheel mirror, when it has one: its version is read without a GPU.
function ncclWheelSitePackages(): string | undefined {
  const root = join(tmpdir(), 'shardscope-nccl-wheel');
  const sp = join(root, 'site-packages');
  if (existsSync(join(sp, 'nvidia', 'nccl', 'lib', 'libnccl.so.2'))) return sp;
  try {
    mkdirSync(root, { recursive: true });
    for (const pkg of ['nvidia-nccl-cu13', 'nvidia-nccl-cu12']) {
      try {
        execFileSync('pip', ['download', '--no-deps', '--index-url', 'file:///opt/pypi/simple', '--extra-index-url', 'file:///opt/pypi-more/simple', pkg, '-d', root], { stdio: 'ignore', timeout: 120000 });
        break;
      } catch { /* try the next */ }
    }
    const whl = readdirSync(root).find((f) => f.startsWith('nvidia_nccl') && f.endsWith('.whl'));
    if (!whl) return undefined;
    execFileSync('python3', ['-c', `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); z.extract('nvidia/nccl/lib/libnccl.so.2', sys.argv[2])`, join(root, whl), sp], { timeout: 120000 });
    return sp;
  } catch {
    return undefined;
  }
}

test('the real libnccl.so.2 from a Python environment: version read without a GPU', async (t) => {
  const sp = ncclWheelSitePackages();
  if (!sp) return t.skip('no NCCL wheel in the local mirror');
  const d = await discoverCuda(cudaLibraryDirs({ env: {}, sitePackages: [sp] }), { childPath: childPath() });
  const nccl = d.libraries.find((l) => l.name === 'nccl');
  assert.equal(nccl?.path, join(sp, 'nvidia/nccl/lib/libnccl.so.2'));
  assert.match(nccl?.version ?? '', /^2\.\d+\.\d+$/);
  assert.equal(nccl?.error, undefined);
});
