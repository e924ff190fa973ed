// Attention's backward against finite differences of the interpreter's own forward attention: causal,
// grouped heads, two sequences, a custom scale; and its place in a training rehearsal's backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionBackward } from '../../../extension/core/lower/attention-backward';
import { rehearse } from '../../../extension/core/rehearse';

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1);
}

const T = 6, d = 4, dv = 3, hq = 4, hk = 2, batch = 2, scale = 0.7;

/** The forward attention in double, straight from its definition (causal per sequence, GQA, scale). */
function forward(q: Float64Array, k: Float64Array, v: Float64Array): Float64Array {
  const S = T / batch, per = hq / hk, y = new Float64Array(T * hq * dv);
  for (let b = 0; b < batch; b++) for (let h = 0; h < hq; h++) for (let i = 0; i < S; i++) {
    const kh = Math.floor(h / per);
    const s = Array.from({ length: i + 1 }, (_, j) => { let x = 0; for (let c = 0; c < d; c++) x += q[(b * S + i) * hq * d + h * d + c] * k[(b * S + j) * hk * d + kh * d + c]; return x * scale; });
    const m = Math.max(...s), e = s.map((x) => Math.exp(x - m)), z = e.reduce((a, x) => a + x, 0);
    for (let j = 0; j <= i; j++) for (let c = 0; c < dv; c++) y[(b * S + i) * hq * dv + h * dv + c] += (e[j] / z) * v[(b * S + j) * hk * dv + kh * dv + c];
  }
  return y;
}

test('attention backward equals finite differences of the forward (causal, grouped heads, two sequences, scale)', () => {
  const q = rand(T * hq * d, 1), k = rand(T * hk * d, 2), v = rand(T * hk * dv, 3), dy = rand(T * hq * dv, 4);
  const g = attentionBackward(q, k, v, dy, { tokens: T, headDim: d, vHeadDim: dv, batch, scale });
  const L = (qq: Float64Array, kk: Float64Array, vv: Float64Array) => forward(qq, kk, vv).reduce((a, y, i) => a + y * dy[i], 0);
  const base = [q, k, v].map((a) => Float64Array.from(a));
  const eps = 1e-6;
  ([['dq', 0], ['dk', 1], ['dv', 2]] as const).forEach(([name, which]) => {
    const got = g[name];
    for (let i = 0; i < got.length; i++) {
      const plus = base.map((a) => a.slice()), minus = base.map((a) => a.slice());
      plus[which][i] += eps;
      minus[which][i] -= eps;
      const fd = (L(plus[0], plus[1], plus[2]) - L(minus[0], minus[1], minus[2])) / (2 * eps);
      assert.ok(Math.abs(got[i] - fd) <= 1e-5 * (1 + Math.abs(fd)), `${name}[${i}]: ${got[i]} vs finite difference ${fd}`);
    }
  });
  assert.ok(g.dk.some((x) => x !== 0) && g.dv.some((x) => x !== 0));
});

test('a training rehearsal runs each layer\'s attention backward on its local heads, after o_proj\'s and before q/k/v_proj\'s', async () => {
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', { layers: [0], tokens: 8, widthScale: 16 });
  assert.equal(r.verdict, 'match');
  const rank0 = r.trace.events.filter((e) => e.rank === 0 && e.source === 'measured' && e.pass === 'backward');
  const at = rank0.findIndex((e) => e.name === 'attention_backward');
  assert.ok(at >= 0, 'no attention_backward in the backward pass');
  const before = rank0.slice(0, at).map((e) => e.entry?.key ?? '');
  const after = rank0.slice(at + 1).map((e) => e.entry?.key ?? '');
  assert.ok(before.some((k) => k.includes('o_proj')), `o_proj's backward precedes it: ${before.join(' ')}`);
  assert.ok(after.some((k) => k.includes('q_proj')), `q_proj's backward follows it: ${after.join(' ')}`);
  // Predicted and measured still line up op for op.
  const count = (src: string) => r.trace.events.filter((e) => e.source === src && e.name === 'attention_backward').length;
  assert.equal(count('predicted'), count('measured'));
  assert.equal(count('measured'), r.ranks);
});
