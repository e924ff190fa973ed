// The real NVRTC and NCCL from NVIDIA's wheels (skipped when the mirror has none), beside the stand-in
// driver: the kernels' CUDA C compiles with the user's NVRTC, and NCCL exports every entry point the
// backend binds with the prototypes pinned in native/src/cuda/api.h.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prog } from '../runtime/helpers';
import { standinDir } from '../standin/build';
import { REAL, discoverWith, runCuda, target } from './target';
import { realNcclDir, realNvrtcDir } from './wheels';

function program(): Prog {
  const g = new Prog(2);
  for (const r of [0, 1]) g.buf(r, 'x', [8]).buf(r, 'y', [8]).op(r, 'silu_mul', ['x', 'x'], ['y']).op(r, 'all_reduce', ['y'], ['x'], { group: 0 });
  return g;
}

for (const [cc, image] of [['9.0', 'a cubin for sm_90'], ['13.0', 'PTX for the newest architecture it knows']] as const) {
  test(`the kernels compile with the real NVRTC 13: ${image}`, { skip: REAL }, async (t) => {
    const nvrtc = realNvrtcDir();
    if (!nvrtc) return t.skip('no NVRTC wheel in the local mirror');
    const base = await target({ env: { SHARDSCOPE_STANDIN_CC: cc } });
    const dirs = [standinDir(['cuda', 'cublas', 'nccl', 'nvml']), nvrtc];
    const d = await discoverWith({ ...base, libraryDirs: dirs });
    assert.equal(d.libraries.find((l) => l.name === 'nvrtc')?.path, `${nvrtc}/libnvrtc.so.13`);
    assert.match(d.libraries.find((l) => l.name === 'nvrtc')?.version ?? '', /^13\.\d+$/);
    // NVRTC compiled the kernels (prepare would refuse with its log otherwise); the stand-in driver then
    // cannot load a real GPU image, which is the first thing that fails.
    const res = await runCuda(program().p, { ...base, libraryDirs: dirs });
    assert.equal(res.report.ok, false);
    assert.match(res.report.message ?? '', /^rank \d \(GPU \d\): cuModuleLoadData failed: CUDA_ERROR_INVALID_IMAGE \(200\)/);
  });
}

test('the real libnccl.so.2 exports every NCCL entry point the backend binds', { skip: REAL }, async (t) => {
  const nccl = realNcclDir();
  if (!nccl) return t.skip('no NCCL wheel in the local mirror');
  const base = await target();
  const d = await discoverWith({ ...base, libraryDirs: [standinDir(['cuda', 'nvrtc', 'cublas', 'nvml']), nccl] });
  const lib = d.libraries.find((l) => l.name === 'nccl');
  assert.equal(lib?.path, `${nccl}/libnccl.so.2`);
  assert.match(lib?.version ?? '', /^2\.\d+\.\d+$/);
  // Discovery binds what the backend binds: a missing or renamed symbol would be the reason here.
  assert.equal(d.reason, undefined);
  assert.equal(d.cuda, true);
});
