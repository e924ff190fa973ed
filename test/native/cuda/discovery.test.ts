import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupLink, toLinkTopology } from '../../../extension/runtime';
import { defaultCostModel } from '../../../extension/core/lower/cost';
import { standinLibrary, STANDIN_SONAMES } from '../standin/build';
import { REAL, discoverWith, target } from './target';

test('discovery finds every CUDA library, the GPUs and the link between each pair', async () => {
  const t = await target({ gpus: 4 });
  const d = await discoverWith(t);
  assert.equal(d.cuda, true, d.reason);
  assert.equal(d.reason, undefined);
  assert.deepEqual(d.libraries.map((l) => l.name), ['cuda', 'nvrtc', 'cublas', 'nccl', 'nvml']);
  for (const l of d.libraries) assert.equal(l.error, undefined, `${l.name}: ${l.error}`);
  if (REAL) return;
  assert.deepEqual(d.libraries.map((l) => l.version ?? ''), ['13.0', '13.0', '13.1', '2.28.9', '']);
  assert.equal(d.libraries[3].path, join(t.libraryDirs[0], 'libnccl.so.2'));
  assert.equal(d.devices, 4);
  const topo = d.topology!;
  assert.deepEqual(topo.devices.map((x) => [x.index, x.busId, x.computeCapability]),
    [[0, '0000:10:00.0', '9.0'], [1, '0000:11:00.0', '9.0'], [2, '0000:12:00.0', '9.0'], [3, '0000:13:00.0', '9.0']]);
  // Two NVLink pairs, joined over PCIe through the host bridge.
  assert.deepEqual(topo.links.map((l) => `${l.a}-${l.b} ${l.kind} ${l.ancestor}`),
    ['0-1 nvlink single', '0-2 pcie hostbridge', '0-3 pcie hostbridge', '1-2 pcie hostbridge', '1-3 pcie hostbridge', '2-3 nvlink single']);
  assert.equal(groupLink(topo, [2, 3]), 'nvlink');
  assert.equal(groupLink(topo, [0, 1, 2]), 'pcie');
  assert.equal(groupLink(topo, [0, 7]), undefined);
  // The cost model takes it as it is: NVLink for the pair, PCIe once the group spans pairs.
  const nv = defaultCostModel('cuda', toLinkTopology(topo), [2, 3]), pc = defaultCostModel('cuda', toLinkTopology(topo), [1, 2]);
  assert.deepEqual([nv.link.name, pc.link.name], ['NVLink', 'PCIe']);
});

test('CUDA_VISIBLE_DEVICES renumbers the GPUs; NVML is matched by bus id, not by index', { skip: REAL }, async () => {
  const d = await discoverWith(await target({ gpus: 4, env: { CUDA_VISIBLE_DEVICES: '3,0' } }));
  assert.equal(d.devices, 2);
  assert.deepEqual(d.topology!.devices.map((x) => x.busId), ['0000:13:00.0', '0000:10:00.0']);
  assert.deepEqual(d.topology!.links, [{ a: 0, b: 1, kind: 'pcie', ancestor: 'hostbridge' }]);
});

for (const missing of ['cuda', 'nvrtc', 'cublas', 'nccl'] as const) {
  test(`a missing ${missing} library is named, and the CUDA backend is not offered`, { skip: REAL }, async () => {
    const all = Object.keys(STANDIN_SONAMES) as (keyof typeof STANDIN_SONAMES)[];
    const d = await discoverWith(await target({ libraries: all.filter((l) => l !== missing) }));
    assert.equal(d.cuda, false);
    const lib = d.libraries.find((l) => l.name === missing)!;
    assert.match(lib.error ?? '', new RegExp(`^dlopen failed: ${STANDIN_SONAMES[missing].replace(/\./g, '\\.')}: cannot open shared object file`));
    assert.match(d.reason ?? '', new RegExp(`^${missing}: dlopen failed`));
    assert.equal(d.topology, undefined);
  });
}

test('without NVML the backend still runs; the topology lists the GPUs and says why links are missing', { skip: REAL }, async () => {
  const d = await discoverWith(await target({ gpus: 2, libraries: ['cuda', 'nvrtc', 'cublas', 'nccl'] }));
  assert.equal(d.cuda, true, d.reason);
  assert.equal(d.topology!.devices.length, 2);
  assert.deepEqual(d.topology!.links, []);
  assert.match(d.topology!.error ?? '', /^nvml: dlopen failed: libnvidia-ml\.so\.1/);
});

test('a library without a symbol the backend binds is named with the symbol and the file', { skip: REAL }, async () => {
  // An NCCL that answers ncclGetVersion and nothing else: the first entry point the backend binds after it is missing.
  const dir = mkdtempSync(join(tmpdir(), 'ss-nccl-nosend-'));
  writeFileSync(join(dir, 'nccl.c'), 'int ncclGetVersion(int* v) { *v = 21903; return 0; }\n');
  execFileSync('gcc', ['-shared', '-fPIC', '-o', join(dir, 'libnccl.so.2'), join(dir, 'nccl.c')]);
  for (const l of ['cuda', 'nvrtc', 'cublas', 'nvml'] as const) symlinkSync(standinLibrary(), join(dir, STANDIN_SONAMES[l]));
  const t = await target();
  const d = await discoverWith({ ...t, libraryDirs: [dir] });
  assert.equal(d.cuda, false);
  assert.equal(d.libraries.find((l) => l.name === 'nccl')?.version, '2.19.3');
  assert.match(d.reason ?? '', /^nccl: symbol ncclGetUniqueId not found in .*\/libnccl\.so\.2$/);
});

test('a failing call is named with its error: cuInit, cuDeviceGetCount', { skip: REAL }, async () => {
  const a = await discoverWith(await target({ env: { SHARDSCOPE_STANDIN_FAIL: 'cuInit' } }));
  assert.equal(a.cuda, false);
  assert.equal(a.reason, 'cuda: cuInit failed with 999 (unknown error)');
  const b = await discoverWith(await target({ env: { CUDA_VISIBLE_DEVICES: '' } }));
  assert.equal(b.cuda, false);
  assert.equal(b.reason, 'cuda: cuDeviceGetCount found no GPU');
});
