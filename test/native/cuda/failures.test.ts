// How the CUDA backend refuses and fails: before any work when it can (unsupported op, too few GPUs,
// kernels that do not compile), and otherwise with the failing call named in the run's report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prog, values } from '../runtime/helpers';
import { REAL, runCuda, target } from './target';

function allReduceProgram(n: number): Prog {
  const g = new Prog(n);
  for (let r = 0; r < n; r++) g.buf(r, 'x', [16]).buf(r, 'y', [16]).op(r, 'scale', ['x'], ['x'], { attrs: { factor: 2 } }).op(r, 'all_reduce', ['x'], ['y'], { group: 0 });
  return g;
}
const data2 = { '0/x': values(16, 1), '1/x': values(16, 2) };

test('an op the CUDA backend cannot run is refused up front, naming the rank and the op', async () => {
  const h = new Prog(1);
  h.buf(0, 'a', [4, 6]).buf(0, 'b', [6, 5], 'bf16').buf(0, 'c', [4, 5]).op(0, 'add', ['a', 'a'], ['a']).op(0, 'gemm', ['a', 'b'], ['c']);
  await assert.rejects(runCuda(h.p, await target()), /^Error: rank 0, op 1 \(gemm\): gemm with A f32 and B bf16 is not supported on the CUDA backend/);
});

test('more ranks than GPUs is refused with the count the driver shows', { skip: REAL }, async () => {
  await assert.rejects(runCuda(allReduceProgram(4).p, await target({ gpus: 4, env: { CUDA_VISIBLE_DEVICES: '1,2,3' } })),
    /the program has 4 ranks but the driver shows 3 GPU\(s\) \(CUDA_VISIBLE_DEVICES=1,2,3\): one GPU per rank is needed/);
});

test('a missing library is named when a CUDA run is asked for', { skip: REAL }, async () => {
  await assert.rejects(runCuda(allReduceProgram(2).p, await target({ libraries: ['cuda', 'nvrtc', 'cublas', 'nvml'] })),
    /the CUDA backend cannot run here: nccl: dlopen failed: libnccl\.so\.2: cannot open shared object file/);
});

test('kernels that do not compile are refused up front with NVRTC\'s log', { skip: REAL }, async () => {
  await assert.rejects(runCuda(allReduceProgram(2).p, await target({ env: { SHARDSCOPE_STANDIN_FAIL: 'nvrtcCompileProgram' } })),
    /cannot compile its kernels: nvrtcCompileProgram failed: NVRTC_ERROR_COMPILATION \(6\): shardscope_kernels\.cu\(1\): error: injected failure/);
});

test('a GPU newer than NVRTC gets PTX for the newest architecture NVRTC knows, and runs', { skip: REAL }, async () => {
  const t = await target({ env: { SHARDSCOPE_STANDIN_CC: '10.0', SHARDSCOPE_STANDIN_ARCHS: '80,90' } });
  const res = await runCuda(allReduceProgram(2).p, t, { data: data2, outputs: ['1/y'] });
  assert.equal(res.report.ok, true, res.report.message);
  assertSum(res.outputs['1/y']);
  const none = await target({ env: { SHARDSCOPE_STANDIN_CC: '7.0', SHARDSCOPE_STANDIN_ARCHS: '80,90' } });
  await assert.rejects(runCuda(allReduceProgram(2).p, none), /NVRTC supports no architecture at or below the device's compute capability 7\.0/);
});

function assertSum(y: ArrayLike<number>): void {
  const a = values(16, 1), b = values(16, 2);
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(y[i] - 2 * (a[i] + b[i])) < 1e-5, `y[${i}]`);
}

for (const [call, pattern] of [
  ['cuLaunchKernel', /^rank \d, op 0 \(scale\): cuLaunchKernel failed: CUDA_ERROR_UNKNOWN \(999\): unknown error$/],
  ['ncclCommInitRank', /^rank \d: ncclCommInitRank failed: NCCL error 2 \(unhandled system error/],
  ['ncclAllReduce', /^rank \d, op 1 \(all_reduce\): ncclAllReduce failed: NCCL error 3 \(internal error/],
  ['cuMemAlloc_v2', /^rank \d \(GPU \d\): cuMemAlloc_v2 failed: CUDA_ERROR_UNKNOWN \(999\): unknown error for buffer '[xy]' \(64 bytes\)$/],
] as const) {
  test(`a failing ${call} ends the run with the call named, and the other rank stops too`, { skip: REAL }, async () => {
    const res = await runCuda(allReduceProgram(2).p, await target({ env: { SHARDSCOPE_STANDIN_FAIL: call } }), { data: data2, outputs: ['0/y'] });
    assert.equal(res.report.ok, false);
    assert.equal(res.report.kind, 'error');
    assert.match(res.report.message ?? '', pattern);
  });
}

test('events, outputs and the NCCL log come back; NCCL_* variables pass through', async (c) => {
  const t = await target();
  if (t.gpus < 2) return c.skip('needs 2 GPUs');
  const res = await runCuda(allReduceProgram(2).p, t, { data: data2, outputs: ['0/y', '1/y'] });
  assert.equal(res.report.ok, true, res.report.message);
  assertSum(res.outputs['0/y']);
  assertSum(res.outputs['1/y']);
  assert.deepEqual(res.events.map((e) => `${e.rank}/${e.op}`).sort(), ['0/0', '0/1', '1/0', '1/1']);
  const ar = res.events.filter((e) => e.op === 1);
  assert.deepEqual(ar.map((e) => [e.group, e.seq, e.bytes, e.members]), [[0, 0, 64, [0, 1]], [0, 0, 64, [0, 1]]]);
  assert.match(res.ncclLog ?? '', /NCCL INFO .*rank 0 nranks 2 .*Init COMPLETE/);
  assert.match(res.ncclLog ?? '', /NCCL INFO .*rank 1 nranks 2 .*Init COMPLETE/);
  // With NCCL_DEBUG set by the user, NCCL logs as they asked (here: nothing below WARN).
  const quiet = await runCuda(allReduceProgram(2).p, { ...t, env: { ...t.env, NCCL_DEBUG: 'WARN' } }, { data: data2 });
  assert.equal(quiet.report.ok, true);
  assert.doesNotMatch(quiet.ncclLog ?? '', /INFO/);
});

test('the NCCL log comes back and leaves nothing on disk (no folder under TMPDIR)', async (c) => {
  const t = await target();
  if (t.gpus < 2) return c.skip('needs 2 GPUs');
  const tmp = mkdtempSync(join(tmpdir(), 'ss-nccl-tmpdir-'));
  try {
    const res = await runCuda(allReduceProgram(2).p, { ...t, env: { ...t.env, TMPDIR: tmp } }, { data: data2 });
    assert.equal(res.report.ok, true, res.report.message);
    assert.match(res.ncclLog ?? '', /NCCL INFO .*Init COMPLETE/);
    assert.deepEqual(readdirSync(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a row index out of range fails the run naming the op and the index', async () => {
  const g = new Prog(1);
  g.buf(0, 't', [4, 3]).buf(0, 'i', [2], 'i32').buf(0, 'o', [2, 3]).op(0, 'gather_rows', ['t', 'i'], ['o']);
  const res = await runCuda(g.p, await target(), { data: { '0/i': Int32Array.from([1, 7]) } });
  assert.equal(res.report.ok, false);
  assert.equal(res.report.message, 'rank 0, op 0 (gather_rows): row index 7 is outside 0..3');
});

test('a rank that never reaches a collective: the watchdog ends the run and names it missing', async (c) => {
  if ((await target()).gpus < 2) return c.skip('needs 2 GPUs');
  const g = new Prog(2);
  for (const r of [0, 1]) g.buf(r, 'x', [8]).buf(r, 'y', [8]).op(r, 'all_reduce', ['x'], ['y'], { group: 0 });
  g.op(0, 'all_reduce', ['y'], ['x'], { group: 0 });  // rank 1 has no second all_reduce
  const res = await runCuda(g.p, await target(), { timeoutMs: 1500 });
  assert.equal(res.report.ok, false);
  assert.equal(res.report.kind, 'timeout');
  assert.equal(res.report.rank, 0);
  assert.equal(res.report.op, 1);
  assert.equal(res.report.seq, 1);
  assert.deepEqual(res.report.missing, [1]);
  assert.deepEqual(res.report.ranks.map((r) => r.lastFinished), [0, 0]);
});

test('cancel ends a CUDA run blocked in a collective: communicators aborted, no process killed', async (c) => {
  const t = await target();
  if (t.gpus < 2) return c.skip('needs 2 GPUs');
  const g = new Prog(2);
  for (let r = 0; r < 2; r++) g.buf(r, 'x', [8]);
  g.op(0, 'all_reduce', ['x'], ['x'], { group: 0 }).op(0, 'all_reduce', ['x'], ['x'], { group: 0 }).op(0, 'all_reduce', ['x'], ['x'], { group: 0 });
  g.op(1, 'all_reduce', ['x'], ['x'], { group: 0 }).op(1, 'all_reduce', ['x'], ['x'], { group: 0 });  // rank 0's third never meets a partner
  const ac = new AbortController();
  const res = await runCuda(g.p, t, { timeoutMs: 60000, signal: ac.signal, onProgress: (p) => { if (p[0].finished === 2) ac.abort(); } });
  assert.equal(res.report.kind, 'cancelled');
  assert.equal(res.report.signal, undefined, 'the addon answered; the child was not killed');
  assert.deepEqual(res.report.ranks.map((r) => r.lastFinished), [1, 1]);
  assert.match(res.ncclLog ?? '', /rank 0 nranks 2 .*Abort COMPLETE/);
});
