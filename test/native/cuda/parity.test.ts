// The same programs on the CUDA backend (stand-in, or real GPUs) and the CPU backend give the same numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prog, values, assertClose } from '../runtime/helpers';
import { REAL, runCpu, runCuda, target } from './target';
import type { NativeResult } from '../../../extension/runtime';

function same(cpu: NativeResult, gpu: NativeResult, tol: number): void {
  assert.equal(cpu.report.ok, true, cpu.report.message);
  assert.equal(gpu.report.ok, true, gpu.report.message);
  assert.deepEqual(Object.keys(gpu.outputs).sort(), Object.keys(cpu.outputs).sort());
  for (const k of Object.keys(cpu.outputs)) assertClose(gpu.outputs[k], cpu.outputs[k], tol, k);
}

async function both(p: Prog, data: Record<string, Float32Array | Int32Array>, outputs: string[], tol = 1e-5) {
  const t = await target();
  const [cpu, gpu] = [await runCpu(p.p, { data, outputs }), await runCuda(p.p, t, { data, outputs })];
  same(cpu, gpu, tol);
  return { cpu, gpu };
}

for (const n of [1, 2, 3, 4, 8]) {
  test(`every collective over ${n} GPU(s) matches the CPU backend, with one event and sequence number per rank`, async (t) => {
    if (n > (await target()).gpus) return t.skip(`needs ${n} GPUs`);
    const g = new Prog(n);
    const data: Record<string, Float32Array> = {};
    const E = 7;
    for (let r = 0; r < n; r++) {
      data[`${r}/x`] = values(E * n, 100 + r);
      data[`${r}/s`] = values(E, 200 + r);
      g.buf(r, 'x', [n, E]).buf(r, 'ar', [n, E]).buf(r, 's', [E]).buf(r, 'ag', [n * E]).buf(r, 'rs', [E]).buf(r, 'a2a', [n, E])
        .buf(r, 'bc', [n, E]).buf(r, 'mx', [n, E]).buf(r, 'h', [n, E], 'bf16').buf(r, 'hs', [n, E], 'bf16');
      g.op(r, 'all_reduce', ['x'], ['ar'], { group: 0 })
        .op(r, 'all_gather', ['s'], ['ag'], { group: 0 })
        .op(r, 'reduce_scatter', ['x'], ['rs'], { group: 0 })
        .op(r, 'all_to_all', ['x'], ['a2a'], { group: 0 })
        .op(r, 'broadcast', ['x'], ['bc'], { group: 0, attrs: { root: n - 1 } })
        .op(r, 'all_reduce', ['x'], ['mx'], { group: 0, attrs: { reduce: 'max' } })
        .op(r, 'copy', ['x'], ['h'])
        .op(r, 'all_reduce', ['h'], ['hs'], { group: 0 })
        .op(r, 'all_reduce', ['x'], ['x'], { group: 0 });
    }
    const outputs = Array.from({ length: n }, (_, r) => ['ar', 'ag', 'rs', 'a2a', 'bc', 'mx', 'hs', 'x'].map((b) => `${r}/${b}`)).flat();
    const { gpu } = await both(g, data, outputs, 1e-2 / 4);
    const coll = gpu.events.filter((e) => e.seq !== undefined);
    assert.equal(coll.length, 8 * n);
    for (let s = 0; s < 8; s++) assert.deepEqual(coll.filter((e) => e.seq === s).map((e) => e.rank).sort(), Array.from({ length: n }, (_, r) => r));
    assert.equal(gpu.events.length, 9 * n);
    for (const e of gpu.events) assert.ok(e.endNs >= e.startNs && e.startNs >= 0, JSON.stringify(e));
    assert.equal(coll[0].bytes, n * E * 4);
  });
}

test('subset groups, uneven all_to_all_v and send/recv pairs match the CPU backend', async (t) => {
  if ((await target()).gpus < 6) return t.skip('needs 6 GPUs');
  const groups = [[1, 3, 4], [0, 2, 5], [0, 1, 2, 3, 4, 5]];
  const g = new Prog(6, groups);
  const data: Record<string, Float32Array> = {};
  const W = 3;
  // all_to_all_v over group 2: rank r sends (r + j) % 3 rows to member j.
  const rows = (r: number, j: number) => (r + j) % 3;
  for (let r = 0; r < 6; r++) {
    const send = Array.from({ length: 6 }, (_, j) => rows(r, j)), recv = Array.from({ length: 6 }, (_, j) => rows(j, r));
    const sr = send.reduce((a, b) => a + b, 0), rr = recv.reduce((a, b) => a + b, 0);
    data[`${r}/x`] = values(5, r);
    data[`${r}/v`] = values(sr * W, 50 + r);
    g.buf(r, 'x', [5]).buf(r, 'y', [5]).buf(r, 'v', [sr, W]).buf(r, 'vo', [rr, W]).buf(r, 'p', [5]);
    g.op(r, 'all_reduce', ['x'], ['y'], { group: r === 1 || r === 3 || r === 4 ? 0 : 1 })
      .op(r, 'all_to_all_v', ['v'], ['vo'], { group: 2, attrs: { sendCounts: send, recvCounts: recv } });
    // A ring of sends: r → r+1, and r receives from r−1 (even ranks send first, odd ranks receive first).
    const next = (r + 1) % 6, prev = (r + 5) % 6;
    if (r % 2 === 0) g.op(r, 'send', ['y'], [], { attrs: { peer: next } }).op(r, 'recv', [], ['p'], { attrs: { peer: prev } });
    else g.op(r, 'recv', [], ['p'], { attrs: { peer: prev } }).op(r, 'send', ['y'], [], { attrs: { peer: next } });
  }
  const outputs = Array.from({ length: 6 }, (_, r) => ['y', 'vo', 'p'].map((b) => `${r}/${b}`)).flat();
  await both(g, data, outputs);
});

test('GEMM through cuBLAS: fp32 plain, transposed B, accumulate, and bf16 storage, odd sizes', async () => {
  const g = new Prog(1);
  const M = 37, K = 53, N = 29;
  const data = { '0/a': values(M * K, 1), '0/b': values(K * N, 2), '0/bt': values(N * K, 3), '0/c2': values(M * N, 4) };
  g.buf(0, 'a', [M, K]).buf(0, 'b', [K, N]).buf(0, 'bt', [N, K]).buf(0, 'c', [M, N]).buf(0, 'c1', [M, N]).buf(0, 'c2', [M, N])
    .buf(0, 'ah', [M, K], 'bf16').buf(0, 'bh', [K, N], 'bf16').buf(0, 'ch', [M, N], 'bf16').buf(0, 'cf', [M, N]);
  g.op(0, 'gemm', ['a', 'b'], ['c'])
    .op(0, 'gemm', ['a', 'bt'], ['c1'], { attrs: { transB: true } })
    .op(0, 'gemm', ['a', 'b'], ['c2'], { attrs: { accumulate: true } })
    .op(0, 'copy', ['a'], ['ah']).op(0, 'copy', ['b'], ['bh'])
    .op(0, 'gemm', ['ah', 'bh'], ['ch'])
    .op(0, 'gemm', ['ah', 'bh'], ['cf']);
  const { cpu } = await both(g, data, ['0/c', '0/c1', '0/c2', '0/ch', '0/cf'], 1e-4);
  // And against a plain reference, so both are right, not only alike.
  const ref = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) { let s = 0; for (let k = 0; k < K; k++) s += data['0/a'][i * K + k] * data['0/b'][k * N + j]; ref[i * N + j] = s; }
  assertClose(cpu.outputs['0/c'], ref, 1e-4, 'reference');
});

test('element-wise ops as NVRTC kernels match the CPU backend (fp32 and bf16, aliasing outputs)', async () => {
  const g = new Prog(1);
  const R = 5, H = 12, E = 9, k = 3;
  const data: Record<string, Float32Array | Int32Array> = {
    '0/g': values(R * H, 1), '0/u': values(R * H, 2), '0/w': values(H, 3), '0/l': values(R * E, 4),
    '0/idx': Int32Array.from([4, 0, 2, 2, 1, 3]), '0/rw': values(6, 5), '0/tbl': values(R * H, 6),
  };
  g.buf(0, 'g', [R, H]).buf(0, 'u', [R, H]).buf(0, 'w', [H]).buf(0, 'l', [R, E]).buf(0, 'idx', [6], 'i32').buf(0, 'rw', [6]).buf(0, 'tbl', [R, H])
    .buf(0, 'sm', [R, H]).buf(0, 'ad', [R, H]).buf(0, 'sc', [R, H]).buf(0, 'rn', [R, H]).buf(0, 'sx', [R, H]).buf(0, 'hb', [R, H], 'bf16')
    .buf(0, 'hn', [R, H], 'bf16').buf(0, 'tw', [R, k]).buf(0, 'ti', [R, k], 'i32').buf(0, 'tw2', [R, k]).buf(0, 'ti2', [R, k], 'i32')
    .buf(0, 'gr', [6, H]).buf(0, 'sa', [R, H]).buf(0, 'sl', [R, 4]).buf(0, 'cc', [R, H + 4]).buf(0, 'cb', [R, H]);
  g.op(0, 'silu_mul', ['g', 'u'], ['sm'])
    .op(0, 'add', ['g', 'u'], ['ad'])
    .op(0, 'scale', ['ad'], ['sc'], { attrs: { factor: -0.75 } })
    .op(0, 'rmsnorm', ['g', 'w'], ['rn'], { attrs: { eps: 1e-5 } })
    .op(0, 'softmax', ['l'], ['l'])
    .op(0, 'softmax', ['u'], ['sx'])
    .op(0, 'copy', ['g'], ['hb'])
    .op(0, 'rmsnorm', ['hb', 'w'], ['hn'])
    .op(0, 'topk', ['tbl'], ['tw', 'ti'], { attrs: { k, normalize: true } })
    .op(0, 'topk', ['g'], ['tw2', 'ti2'], { attrs: { k, scoring: 'none' } })
    .op(0, 'gather_rows', ['tbl', 'idx'], ['gr'])
    .op(0, 'scatter_add_rows', ['gr', 'idx', 'rw'], ['sa'])
    .op(0, 'scatter_add_rows', ['gr', 'idx'], ['sa'], { attrs: { accumulate: true } })
    .op(0, 'slice', ['g'], ['sl'], { attrs: { dim: 1, start: 5 } })
    .op(0, 'concat', ['u', 'sl'], ['cc'], { attrs: { dim: -1 } })
    .op(0, 'copy', ['hn'], ['cb']);
  const outs = ['sm', 'ad', 'sc', 'rn', 'l', 'sx', 'hb', 'hn', 'tw', 'ti', 'tw2', 'ti2', 'gr', 'sa', 'sl', 'cc', 'cb'].map((b) => `0/${b}`);
  const { gpu } = await both(g, data, outs, 1e-5);
  // Concat put u's row then the slice: row 0 ends with g[0, 5..9).
  assertClose(gpu.outputs['0/cc'].slice(H, H + 4), data['0/g'].slice(5, 9) as Float32Array, 0, 'concat tail');
});

test('model ops: attention, rope, gemm transA on the GPU; an op without a CUDA path runs on the host, said in hostOps', async (t) => {
  if ((await target()).gpus < 2) return t.skip('needs 2 GPUs');
  const g = new Prog(2);
  const T = 6, d = 4, hq = 4, hk = 2, dv = 2;
  const invFreq = [1, 0.01];
  const data: Record<string, Float32Array> = {};
  for (const r of [0, 1]) {
    data[`${r}/q`] = values(T * hq * d, 10 + r); data[`${r}/k`] = values(T * hk * d, 20 + r); data[`${r}/v`] = values(T * hk * dv, 30 + r);
    g.buf(r, 'q', [T, hq * d]).buf(r, 'k', [T, hk * d]).buf(r, 'v', [T, hk * dv]).buf(r, 'qr', [T, hq * d]).buf(r, 'y', [T, hq * dv])
      .buf(r, 'ys', [T, hq * dv]).buf(r, 'gw', [hq * dv, hk * d]);
    g.op(r, 'rope', ['q'], ['qr'], { attrs: { invFreq, batch: 2, positionOffset: 3, attnFactor: 1.25 } })
      .op(r, 'rope', ['k'], ['k'], { attrs: { invFreq, batch: 2, interleaved: true } })  // in place and interleaved: on the host
      .op(r, 'attention', ['qr', 'k', 'v'], ['y'], { attrs: { headDim: d, vHeadDim: dv, batch: 2 } })
      .op(r, 'all_reduce', ['y'], ['ys'], { group: 0 })
      .op(r, 'gemm', ['ys', 'k'], ['gw'], { attrs: { transA: true } })
      .op(r, 'silu_mul', ['gw', 'gw'], ['gw']);
  }
  const { gpu } = await both(g, data, ['0/qr', '1/k', '0/y', '1/ys', '1/gw'], 1e-5);
  assert.deepEqual(gpu.hostOps, ['rope']);
  assert.equal(gpu.events.length, 12);
});

test('counter-based weights made on the GPU are the host generator\'s, bit for bit (f32, bf16, i32; boxes of 1 to 4 dims)', async () => {
  const g = new Prog(1);
  const param = (key: string, globalShape: number[], ranges: [number, number][][], scale = 0.5) => ({ kind: 'param' as const, key, globalShape, ranges, scale });
  g.buf(0, 'a', [18], 'f32', param('w.a', [2, 3, 4], [[[0, 1], [0, 3], [0, 4]], [[1, 2], [0, 3], [1, 3]]]))
    .buf(0, 'b', [48], 'bf16', param('w.b', [2, 3, 4, 5], [[[0, 2], [1, 3], [0, 4], [2, 5]]]))
    .buf(0, 'c', [7], 'i32', param('w.c', [10], [[[3, 10]]], 9))
    .buf(0, 'd', [2, 3], 'f32', param('w.d', [4, 6], [[[0, 2]], [[1, 3], [4, 5]]]))  // per-dim index lists: made on the host
    .buf(0, 'e', [18]);
  g.op(0, 'add', ['a', 'a'], ['e']);
  const { gpu } = await both(g, {}, ['0/a', '0/b', '0/c', '0/d', '0/e'], 0);
  assert.ok(gpu.outputs['0/a'].some((v) => v !== 0) && gpu.outputs['0/c'].some((v) => v !== 0));
  // Nothing generated on the GPU crosses from the host: with host-to-device copies failing, the run
  // still goes through; the buffer made on the host is the one that fails.
  if (REAL) return;
  const t = await target({ env: { SHARDSCOPE_STANDIN_FAIL: 'cuMemcpyHtoD_v2' } });
  const onlyBoxes = new Prog(1);
  onlyBoxes.buf(0, 'a', [18], 'f32', param('w.a', [2, 3, 4], [[[0, 1], [0, 3], [0, 4]], [[1, 2], [0, 3], [1, 3]]])).buf(0, 'e', [18]).op(0, 'add', ['a', 'a'], ['e']);
  const ok = await runCuda(onlyBoxes.p, t, { outputs: ['0/e'] });
  assert.equal(ok.report.ok, true, ok.report.message);
  assertClose(ok.outputs['0/e'], (gpu.outputs['0/e'] as Float32Array), 0, 'generated on the GPU');
  const withHost = new Prog(1);
  withHost.buf(0, 'd', [2, 3], 'f32', param('w.d', [4, 6], [[[0, 2]], [[1, 3], [4, 5]]])).op(0, 'scale', ['d'], ['d']);
  const failed = await runCuda(withHost.p, t);
  assert.match(failed.report.message ?? '', /cuMemcpyHtoD_v2 failed/);
});

test('all_gather and reduce_scatter along a dim other than 0 match the CPU backend', async (t) => {
  if ((await target()).gpus < 3) return t.skip('needs 3 GPUs');
  const n = 3, R = 4, C = 5;
  const g = new Prog(n);
  const data: Record<string, Float32Array> = {};
  for (let r = 0; r < n; r++) {
    data[`${r}/x`] = values(R * C, 40 + r);
    data[`${r}/w`] = values(R * C * n, 60 + r);
    g.buf(r, 'x', [R, C]).buf(r, 'ag', [R, n * C]).buf(r, 'w', [R, n * C]).buf(r, 'rs', [R, C]).buf(r, 'h', [R, n * C], 'bf16').buf(r, 'hg', [R, n * n * C], 'bf16');
    g.op(r, 'all_gather', ['x'], ['ag'], { group: 0, attrs: { dim: 1 } })
      .op(r, 'reduce_scatter', ['w'], ['rs'], { group: 0, attrs: { dim: -1 } })
      .op(r, 'copy', ['w'], ['h'])
      .op(r, 'all_gather', ['h'], ['hg'], { group: 0, attrs: { dim: 1 } });
  }
  const { cpu } = await both(g, data, Array.from({ length: n }, (_, r) => [`${r}/ag`, `${r}/rs`, `${r}/hg`]).flat(), 1e-6);
  // Row 0 of the gather is every member's row 0, side by side.
  assertClose(cpu.outputs['1/ag'].slice(0, n * C), [0, 1, 2].flatMap((m) => [...data[`${m}/x`].slice(0, C)]), 0, 'gather along dim 1');
});

test('all_to_all and all_to_all_v in place match the CPU backend', async (t) => {
  if ((await target()).gpus < 3) return t.skip('needs 3 GPUs');
  const n = 3, W = 2;
  const g = new Prog(n);
  const data: Record<string, Float32Array> = {};
  for (let r = 0; r < n; r++) {
    // all_to_all_v in place needs equal totals: rank r sends (r + j) % 3 rows to member j, and every
    // member receives 3 rows in all.
    const send = [0, 1, 2].map((j) => (r + j) % 3), recv = [0, 1, 2].map((j) => (j + r) % 3);
    data[`${r}/x`] = values(n * 4, 70 + r);
    data[`${r}/v`] = values(3 * W, 80 + r);
    g.buf(r, 'x', [n * 4]).buf(r, 'v', [3, W]);
    g.op(r, 'all_to_all', ['x'], ['x'], { group: 0 })
      .op(r, 'all_to_all_v', ['v'], ['v'], { group: 0, attrs: { sendCounts: send, recvCounts: recv } });
  }
  const { cpu } = await both(g, data, Array.from({ length: n }, (_, r) => [`${r}/x`, `${r}/v`]).flat(), 0);
  assertClose(cpu.outputs['2/x'].slice(0, 4), data['0/x'].slice(8, 12), 0, 'rank 2 holds chunk 2 of rank 0 first');
});
