// The addon's side of a rehearsal, op by op: counter weights generated in C++ bit-identical to
// generateBoxes, the lowering's topk reusing a routing given as data, collectives along the last dim, and
// events streamed to the parent while the run goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { childPath, addonBuilt, Prog, values } from '../runtime/helpers';
import { runPrograms } from '../../../extension/runtime';
import { generateBoxes, interpret, relError } from '../../../extension/core/lower';
import { attentionBackward } from '../../../extension/core/lower/attention-backward';
import type { Range } from '../../../extension/core/sharding/types';

const skip = !addonBuilt() && 'the addon is not built';
const opts = () => ({ childPath: childPath(), timeoutMs: 20000 });

test('counter weights: the addon generates exactly generateBoxes\' bits (any boxes, keys, scales; indices past 2³²; large shards on several threads)', { skip }, async () => {
  // Random shards (several boxes each) of random tensors, all in one run.
  const cases = fc.sample(
    fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }),
      key: fc.string({ maxLength: 12 }),
      scale: fc.double({ min: 1e-3, max: 4, noNaN: true }),
      cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    }),
    { numRuns: 40, seed: 11 },
  );
  const g = new Prog(1);
  const expected: Record<string, Float32Array> = {};
  cases.forEach((c, i) => {
    // Boxes: the tensor cut along dim 0 into pieces, listed in reverse order (boxes need not be ordered).
    const d0 = c.shape[0];
    const points = [...new Set([0, d0, ...c.cuts.map((x) => x % (d0 + 1))])].sort((a, b) => a - b);
    const boxes: Range[][] = [];
    for (let k = points.length - 1; k > 0; k--) boxes.push([[points[k - 1], points[k]], ...c.shape.slice(1).map((n) => [0, n] as Range)]);
    const n = c.shape.reduce((a, b) => a * b, 1);
    const want = new Float32Array(n);
    generateBoxes(c.key, c.shape, boxes, c.scale, want);
    expected[`0/w${i}`] = want;
    g.buf(0, `w${i}`, [n], 'f32', { kind: 'param', key: c.key, globalShape: c.shape, ranges: boxes, scale: c.scale });
  });
  // A shard whose global flat indices pass 2³²: the high word of the index enters the hash.
  const big = [70000, 70000];
  const far: Range[][] = [[[69990, 70000], [69000, 70000]]];
  const wantFar = new Float32Array(10 * 1000);
  generateBoxes('model.layers.0.mlp.down_proj.weight', big, far, 0.02, wantFar);
  expected['0/far'] = wantFar;
  g.buf(0, 'far', [10, 1000], 'f32', { kind: 'param', key: 'model.layers.0.mlp.down_proj.weight', globalShape: big, ranges: far, scale: 0.02 });
  // A large shard (generated on several threads where the machine has cores to spare): same bits.
  const wide = [3000, 2048];
  const halves: Range[][] = [[[1500, 3000], [0, 2048]], [[0, 1500], [0, 2048]]];
  const wantWide = new Float32Array(3000 * 2048);
  generateBoxes('model.layers.1.mlp.up_proj.weight', wide, halves, 0.01, wantWide);
  expected['0/wide'] = wantWide;
  g.buf(0, 'wide', wide, 'f32', { kind: 'param', key: 'model.layers.1.mlp.up_proj.weight', globalShape: wide, ranges: halves, scale: 0.01 });
  const res = await runPrograms(g.p, { ...opts(), outputs: Object.keys(expected) });
  assert.ok(res.report.ok, JSON.stringify(res.report));
  for (const [k, want] of Object.entries(expected)) {
    const got = res.outputs[k] as Float32Array;
    assert.deepEqual(new Uint32Array(got.buffer, got.byteOffset, got.length), new Uint32Array(want.buffer), k);
  }
});

test('the lowering\'s topk reuses the routing given for its key, and computes one where none is given', { skip }, async () => {
  const T = 5, E = 6, k = 2;
  const g = new Prog(1);
  const probs = values(T * E, 3).map((v) => Math.abs(v));
  g.buf(0, 'p', [T, E]).buf(0, 'i1', [T, k]).buf(0, 'w1', [T, k]).buf(0, 'i2', [T, k]).buf(0, 'w2', [T, k]);
  g.op(0, 'topk', ['p'], ['i1', 'w1'], { attrs: { k, normalize: true, routingKey: 'given' } });
  g.op(0, 'topk', ['p'], ['i2', 'w2'], { attrs: { k, normalize: true, routingKey: 'free' } });
  // A routing nobody would compute: the two lowest experts with made-up weights.
  const idx = new Float32Array(Array.from({ length: T * k }, (_, i) => (i % 2 ? 5 : 4)));
  const weights = new Float32Array(Array.from({ length: T * k }, (_, i) => (i % 2 ? 0.25 : 0.75)));
  const res = await runPrograms(g.p, { ...opts(), data: { '0/p': probs }, outputs: ['0/i1', '0/w1', '0/i2', '0/w2'], routing: { given: { idx, weights } } });
  assert.ok(res.report.ok, JSON.stringify(res.report));
  assert.deepEqual([...res.outputs['0/i1']], [...idx]);
  assert.deepEqual([...res.outputs['0/w1']], [...weights]);
  // The free one is computed: highest probabilities first, ties to the lower expert, normalised over the k.
  for (let t = 0; t < T; t++) {
    const row = [...probs.slice(t * E, (t + 1) * E)];
    const order = row.map((p, e) => [p, e]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k);
    const s = order[0][0] + order[1][0];
    assert.deepEqual([...res.outputs['0/i2'].slice(t * k, t * k + k)], order.map(([, e]) => e));
    assert.ok(Math.abs(res.outputs['0/w2'][t * k] - order[0][0] / s) < 1e-6);
  }
  // A routing of the wrong size is an error naming the op.
  const bad = await runPrograms(g.p, { ...opts(), data: { '0/p': probs }, outputs: [], routing: { given: { idx: idx.slice(2), weights: weights.slice(2) } } });
  assert.equal(bad.report.ok, false);
  assert.match(bad.report.message ?? '', /rank 0, op 0 \(topk\).*routing given for 'given'/);
});

test('all_gather and reduce_scatter along the last dim match the interpreter (3 ranks, odd widths)', { skip }, async () => {
  const n = 3;
  const g = new Prog(n);
  for (let r = 0; r < n; r++) {
    g.buf(r, 'x', [4, 5], 'f32', { kind: 'input', key: `x${r}`, globalShape: [4, 5], ranges: [[[0, 4], [0, 5]]], scale: 1 });
    g.buf(r, 'z', [4, 3 * 7], 'f32', { kind: 'input', key: `z${r}`, globalShape: [4, 21], ranges: [[[0, 4], [0, 21]]], scale: 1 });
    g.buf(r, 'y', [4, 15]).buf(r, 'w', [4, 7]).buf(r, 'y0', [12, 5]);
    g.op(r, 'all_gather', ['x'], ['y'], { group: 0, attrs: { dim: 1 } });
    g.op(r, 'reduce_scatter', ['z'], ['w'], { group: 0, attrs: { dim: 1 } });
    g.op(r, 'all_gather', ['x'], ['y0'], { group: 0, attrs: { dim: 0 } });
  }
  const outs = [0, 1, 2].flatMap((r) => [`${r}/y`, `${r}/w`, `${r}/y0`]);
  const res = await runPrograms(g.p, { ...opts(), outputs: outs });
  assert.ok(res.report.ok, JSON.stringify(res.report));
  const js = interpret(g.p, { trace: false });
  for (const key of outs) {
    const [r, id] = key.split('/');
    assert.ok(relError(res.outputs[key] as Float32Array, js.buffers[Number(r)].get(id)!) < 1e-7, key);
  }
});

test('events reach the parent while the run goes on, in op order per rank; trace off streams nothing', { skip }, async () => {
  const g = new Prog(2);
  for (let r = 0; r < 2; r++) {
    g.buf(r, 'a', [8, 8], 'f32', { kind: 'input', key: 'a', globalShape: [8, 8], ranges: [[[0, 8], [0, 8]]], scale: 1 }).buf(r, 'b', [8, 8]).buf(r, 'c', [8, 8]);
    g.op(r, 'add', ['a', 'a'], ['b']).op(r, 'all_reduce', ['b'], ['c'], { group: 0 }).op(r, 'sleep', [], [], { attrs: { ms: 60000 } }).op(r, 'add', ['c', 'c'], ['b']);
  }
  // The run only ends early if the all_reduce's events arrive while the ranks sleep: then we cancel it.
  const abort = new AbortController();
  const seen: { rank: number; op: number }[] = [];
  const res = await runPrograms(g.p, {
    ...opts(),
    signal: abort.signal,
    onEvent: (e) => {
      seen.push({ rank: e.rank, op: e.op });
      if (seen.filter((s) => s.op === 1).length === 2) abort.abort();
    },
  });
  assert.equal(res.report.kind, 'cancelled');
  // (The sleep, cut short by the cancel, may report too; the op after it never ran.)
  for (const rank of [0, 1]) assert.deepEqual(seen.filter((s) => s.rank === rank).map((s) => s.op).slice(0, 2), [0, 1]);
  assert.ok(!seen.some((s) => s.op === 3));
  // Whole runs: every event once, with or without streaming; trace off records and streams nothing.
  const short = { ...g.p, ranks: g.p.ranks.map((r) => ({ ...r, ops: r.ops.filter((o) => o.op !== 'sleep') })) };
  const all: number[] = [];
  const on = await runPrograms(short, { ...opts(), onEvent: (e) => all.push(e.op) });
  assert.equal(all.length, on.events.length);
  assert.equal(all.length, 6);
  const quiet: unknown[] = [];
  const off = await runPrograms(short, { ...opts(), trace: false, outputs: ['0/b'], onEvent: (e) => quiet.push(e) });
  assert.ok(off.report.ok);
  assert.equal(off.events.length, 0);
  assert.equal(quiet.length, 0);
  assert.deepEqual([...(off.outputs['0/b'] as Float32Array)], [...(on.outputs['0/b'] ?? off.outputs['0/b'])]);
});

test('attention_backward: the addon computes the interpreter\'s gradients (grouped heads, two sequences, scale) and refuses a dy of the wrong width', { skip }, async () => {
  const T = 10, d = 8, dv = 6, hq = 6, hk = 2, batch = 2, scale = 0.3;
  const shapes = { q: [T, hq * d], k: [T, hk * d], v: [T, hk * dv], dy: [T, hq * dv] };
  const data = Object.fromEntries(Object.entries(shapes).map(([id, s], i) => [`0/${id}`, values(s[0] * s[1], 40 + i)]));
  const g = new Prog(1);
  for (const [id, s] of Object.entries(shapes)) g.buf(0, id, s);
  g.buf(0, 'dq', shapes.q).buf(0, 'dk', shapes.k).buf(0, 'dv', shapes.v);
  g.op(0, 'attention_backward', ['q', 'k', 'v', 'dy'], ['dq', 'dk', 'dv'], { attrs: { headDim: d, vHeadDim: dv, batch, scale } });
  const res = await runPrograms(g.p, { ...opts(), outputs: ['0/dq', '0/dk', '0/dv'], data });
  assert.ok(res.report.ok, JSON.stringify(res.report));
  const want = attentionBackward(data['0/q'], data['0/k'], data['0/v'], data['0/dy'], { tokens: T, headDim: d, vHeadDim: dv, batch, scale });
  for (const n of ['dq', 'dk', 'dv'] as const) {
    const got = res.outputs[`0/${n}`] as Float32Array;
    assert.ok(relError(got, want[n]) <= 1e-6, `${n}: rel. error ${relError(got, want[n])}`);
  }
  const bad = new Prog(1);
  for (const [id, s] of Object.entries(shapes)) bad.buf(0, id, id === 'dy' ? [T, hq * dv - 1] : s);
  bad.buf(0, 'dq', shapes.q).buf(0, 'dk', shapes.k).buf(0, 'dv', shapes.v);
  bad.op(0, 'attention_backward', ['q', 'k', 'v', 'dy'], ['dq', 'dk', 'dv'], { attrs: { headDim: d, vHeadDim: dv, batch, scale } });
  await assert.rejects(runPrograms(bad.p, { ...opts(), outputs: [] }), /attention_backward.*dy \[10, 35\] is not 10×36/s);
});

test('experts generate their routed weights as set-up: the event says how long and starts after it; an op that generates nothing says nothing', { skip }, async () => {
  const T = 4, H = 64, I = 96, E = 4, k = 1;
  const g = new Prog(1).buf(0, 'x', [T, H]).buf(0, 'idx', [T, k]).buf(0, 'w', [T, k]).buf(0, 'y', [T, H]).buf(0, 'y2', [T, H]);
  const attrs = { numExperts: E, inter: I, expertStart: 0, expertEnd: E, gateUpKey: 'mlp.experts.gate_up_proj', gateUpRows: [0, 2 * I], gateUpScale: 0.05, downKey: 'mlp.experts.down_proj', downCols: [0, I], downScale: 0.05 };
  g.op(0, 'experts', ['x', 'idx', 'w'], ['y'], { attrs });
  g.op(0, 'add', ['y', 'x'], ['y2']);
  const data = { '0/x': values(T * H, 7), '0/idx': Float32Array.from([0, 2, 2, 3]), '0/w': Float32Array.from([1, 0.5, 0.25, 1]) };
  const res = await runPrograms(g.p, { ...opts(), outputs: ['0/y'], data });
  assert.ok(res.report.ok, JSON.stringify(res.report));
  const [ex, add] = res.events;
  assert.ok((ex.setupNs ?? 0) > 0, `experts event without setupNs: ${JSON.stringify(ex)}`);
  assert.ok(ex.startNs <= ex.endNs);
  assert.equal(add.setupNs, undefined);
});
