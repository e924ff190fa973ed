import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPrograms } from '../../../extension/runtime';
import { Prog, childPath, values, assertClose, bf16 } from './helpers';

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, M: number, N: number, K: number, transB: boolean): Float32Array {
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[i * K + k] * (transB ? b[j * K + k] : b[k * N + j]);
    c[i * N + j] = s;
  }
  return c;
}

test('GEMM fp32 (plain and transposed B, odd sizes past the cache blocks) and bf16 storage', async () => {
  const M = 37, N = 530, K = 291;
  const A = values(M * K, 1), B = values(K * N, 2), Bt = values(N * K, 3), C0 = values(M * N, 4);
  const g = new Prog(1)
    .buf(0, 'A', [M, K]).buf(0, 'B', [K, N]).buf(0, 'Bt', [N, K]).buf(0, 'C', [M, N]).buf(0, 'Ct', [M, N]).buf(0, 'Cacc', [M, N])
    .buf(0, 'Ah', [M, K], 'bf16').buf(0, 'Bh', [K, N], 'bf16').buf(0, 'Ch', [M, N], 'bf16');
  g.op(0, 'gemm', ['A', 'B'], ['C']).op(0, 'gemm', ['A', 'Bt'], ['Ct'], { attrs: { transB: true } })
    .op(0, 'gemm', ['A', 'B'], ['Cacc'], { attrs: { accumulate: true } }).op(0, 'gemm', ['Ah', 'Bh'], ['Ch']);
  const res = await runPrograms(g.p, { childPath: childPath(), data: { '0/A': A, '0/B': B, '0/Bt': Bt, '0/Cacc': C0, '0/Ah': A, '0/Bh': B }, outputs: ['0/C', '0/Ct', '0/Cacc', '0/Ch'] });
  assert.equal(res.report.ok, true, res.report.message);
  const ref = matmul(A, B, M, N, K, false);
  assertClose(res.outputs['0/C'], ref, 1e-4, 'C');
  assertClose(res.outputs['0/Ct'], matmul(A, Bt, M, N, K, true), 1e-4, 'Ct');
  assertClose(res.outputs['0/Cacc'], ref.map((v, i) => v + C0[i]), 1e-4, 'C += AB');
  const refH = matmul(A.map(bf16), B.map(bf16), M, N, K, false).map(bf16);
  assertClose(res.outputs['0/Ch'], refH, 1e-2, 'bf16');
  // GEMM event bytes: A, B read and C written.
  assert.equal(res.events[0].bytes, (M * K + K * N + M * N) * 4);
});

test('element-wise ops of a decoder layer match reference values', async () => {
  const T = 5, H = 6, E = 8, k = 2;
  const x = values(T * H, 1), y = values(T * H, 2), w = values(H, 3), logits = values(T * E, 4);
  const idx = new Int32Array([4, 0, 4, 2]);
  const g = new Prog(1)
    .buf(0, 'x', [T, H]).buf(0, 'y', [T, H]).buf(0, 'w', [H]).buf(0, 'silu', [T, H]).buf(0, 'sum', [T, H]).buf(0, 'norm', [T, H])
    .buf(0, 'sm', [T, H]).buf(0, 'logits', [T, E]).buf(0, 'tw', [T, k]).buf(0, 'ti', [T, k], 'i32').buf(0, 'idx', [4], 'i32')
    .buf(0, 'rows', [4, H]).buf(0, 'rw', [4]).buf(0, 'back', [T, H]).buf(0, 'sl', [T, 2]).buf(0, 'cat', [T, H + 2]).buf(0, 'sc', [T, H]);
  g.op(0, 'silu_mul', ['x', 'y'], ['silu']).op(0, 'add', ['x', 'y'], ['sum']).op(0, 'rmsnorm', ['x', 'w'], ['norm'], { attrs: { eps: 1e-5 } })
    .op(0, 'softmax', ['x'], ['sm']).op(0, 'topk', ['logits'], ['tw', 'ti'], { attrs: { k, normalize: true } })
    .op(0, 'gather_rows', ['x', 'idx'], ['rows']).op(0, 'scatter_add_rows', ['rows', 'idx', 'rw'], ['back'])
    .op(0, 'slice', ['x'], ['sl'], { attrs: { dim: 1, start: 3 } }).op(0, 'concat', ['x', 'sl'], ['cat'], { attrs: { dim: -1 } })
    .op(0, 'scale', ['x'], ['sc'], { attrs: { factor: 0.5 } });
  const rw = new Float32Array([0.5, 1, 2, -1]);
  const res = await runPrograms(g.p, {
    childPath: childPath(), data: { '0/x': x, '0/y': y, '0/w': w, '0/logits': logits, '0/idx': idx, '0/rw': rw },
    outputs: ['silu', 'sum', 'norm', 'sm', 'tw', 'ti', 'rows', 'back', 'sl', 'cat', 'sc'].map((b) => `0/${b}`),
  });
  assert.equal(res.report.ok, true, res.report.message);
  const o = (b: string) => res.outputs[`0/${b}`];
  assertClose(o('silu'), x.map((v, i) => (v / (1 + Math.exp(-v))) * y[i]), 1e-5, 'silu_mul');
  assertClose(o('sum'), x.map((v, i) => v + y[i]), 1e-6, 'add');
  const rows = (a: Float32Array, W: number) => Array.from({ length: a.length / W }, (_, r) => [...a.slice(r * W, (r + 1) * W)]);
  assertClose(o('norm'), rows(x, H).flatMap((r) => { const rms = Math.sqrt(r.reduce((s, v) => s + v * v, 0) / H + 1e-5); return r.map((v, h) => (v / rms) * w[h]); }), 1e-5, 'rmsnorm');
  const soft = (r: number[]) => { const m = Math.max(...r); const e = r.map((v) => Math.exp(v - m)); const s = e.reduce((a, b) => a + b, 0); return e.map((v) => v / s); };
  assertClose(o('sm'), rows(x, H).flatMap(soft), 1e-6, 'softmax');
  const top = rows(logits, E).map((r) => soft(r).map((p, e) => [p, e]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k));
  assertClose(o('ti'), top.flatMap((t) => t.map(([, e]) => e)), 0, 'topk indices');
  assertClose(o('tw'), top.flatMap((t) => { const s = t[0][0] + t[1][0]; return t.map(([p]) => p / s); }), 1e-6, 'topk weights');
  const gathered = [...idx].flatMap((i) => [...x.slice(i * H, (i + 1) * H)]);
  assertClose(o('rows'), gathered, 0, 'gather_rows');
  const back = new Float32Array(T * H);
  [...idx].forEach((i, r) => { for (let h = 0; h < H; h++) back[i * H + h] += rw[r] * gathered[r * H + h]; });
  assertClose(o('back'), back, 1e-6, 'scatter_add_rows');
  const sl = rows(x, H).map((r) => r.slice(3, 5));
  assertClose(o('sl'), sl.flat(), 0, 'slice');
  assertClose(o('cat'), rows(x, H).flatMap((r, t) => [...r, ...sl[t]]), 0, 'concat');
  assertClose(o('sc'), x.map((v) => v * 0.5), 0, 'scale');
  assert.equal(res.events.length, 10);
  assert.deepEqual(res.events.map((e) => e.op), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('parameter init is counter-based: shards agree with the unsharded tensor', async () => {
  const g = new Prog(2);
  const full = { kind: 'param' as const, key: 'w', globalShape: [4, 6], ranges: [[[0, 4]], [[0, 6]]] as [number, number][][], scale: 0.5 };
  g.buf(0, 'w', [4, 6], 'f32', full);
  g.buf(1, 'w', [4, 3], 'f32', { ...full, ranges: [[[0, 4]], [[3, 6]]] });
  const res = await runPrograms(g.p, { childPath: childPath(), outputs: ['0/w', '1/w'] });
  const a = res.outputs['0/w'], b = res.outputs['1/w'];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 3; c++) assert.equal(b[r * 3 + c], a[r * 6 + 3 + c]);
  assert.ok([...a].every((v) => Math.abs(v) <= 0.5) && new Set(a).size === 24);
});
