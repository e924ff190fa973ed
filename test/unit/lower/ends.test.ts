import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpret, predict, defaultCostModel, LoweringError, ProgramError, type RankPrograms, type RankOp } from '../../../extension/core/lower';
import { lowerPlan } from './ends-helpers';

const opsOf = (p: RankPrograms, rank: number, pred: (o: RankOp) => boolean) => p.ranks[rank].ops.filter(pred);

test('vocab-parallel embedding: each rank looks up its vocabulary slice, an all-reduce sums the rows, numbers match the reference', () => {
  const { sharded, modules } = lowerPlan('test/fixtures/lower/embed-rowwise.shardplan.json', { tail: true });
  assert.equal(modules[0].module, 'model.embed_tokens');
  for (const m of modules) assert.ok(m.relError <= 1e-5, `${m.module}: ${m.relError}`);
  const emb = opsOf(sharded.programs, 0, (o) => o.label.module === 'model.embed_tokens');
  assert.deepEqual(emb.map((o) => o.op), ['embedding', 'all_reduce']);
  assert.equal(emb[1].label.entry, 'embed_tokens');
  // Four ranks, four disjoint vocabulary slices that tile the table.
  const slices = sharded.programs.ranks.map((r) => r.ops[0].attrs!).map((a) => [a.vocabStart, a.vocabEnd] as number[]);
  const V = Number(sharded.programs.ranks[0].ops[0].attrs!.vocab);
  assert.deepEqual(slices, [0, 1, 2, 3].map((r) => [(r * V) / 4, ((r + 1) * V) / 4]));
  // Token ids fall in several slices, so the all-reduce really joins rows from different ranks.
  const ids = sharded.programs.ranks[0].ops[0].attrs!.ids as number[];
  assert.ok(new Set(ids.map((t) => Math.floor(t / (V / 4)))).size > 1);
});

test('sequence-parallel embedding (vocab_reduce_scatter): the lookup reduce-scatters to the layers and the logits match', () => {
  const { sharded, modules } = lowerPlan('examples/llama-3-8b/tp-sp.shardplan.json', { tail: true, layers: [0] });
  for (const m of modules) assert.ok(m.relError <= 1e-5, `${m.module}: ${m.relError}`);
  const emb = opsOf(sharded.programs, 0, (o) => o.label.module === 'model.embed_tokens');
  assert.deepEqual(emb.map((o) => o.op), ['embedding', 'reduce_scatter']);
  assert.equal(modules.at(-1)!.module, 'lm_head');
});

test('hidden-parallel embedding (embedding_colwise): each rank looks up its hidden slice of every row, then an all-gather along the hidden dim', () => {
  const { sharded, modules } = lowerPlan('test/fixtures/lower/embed-colwise.shardplan.json', { tail: true });
  for (const m of modules) assert.ok(m.relError <= 1e-5, `${m.module}: ${m.relError}`);
  const emb = opsOf(sharded.programs, 1, (o) => o.label.module === 'model.embed_tokens');
  // The gather along the hidden dim: whole blocks gathered, then laid side by side.
  assert.deepEqual(emb.map((o) => o.op), ['embedding', 'all_gather', 'slice', 'slice', 'slice', 'slice', 'concat']);
  assert.equal(emb[1].attrs!.dim, 0);
  assert.equal(emb[0].attrs!.vocabStart, 0);
  assert.ok(Number(emb[0].attrs!.colStart) > 0);
});

test('fault: an embedding sharded on the hidden dim with nothing to gather it is a located error at the first norm, blaming the embedding', () => {
  assert.throws(
    () => lowerPlan('test/fixtures/lower/embed-wrong-dim.shardplan.json', { tail: true }),
    (e: unknown) => e instanceof LoweringError && /input_layernorm: normalises an input sharded on the last dim/.test(e.message) && e.entry?.key === 'embed_tokens',
  );
});

test('loss_parallel: cross-entropy from vocab-sharded logits with three all-reduces (max, sum of exp, target logit) equals the reference loss', () => {
  const { sharded, ref, modules, run, refRun } = lowerPlan('examples/llama-3-8b/tp-sp.shardplan.json', { tail: true, loss: true, layers: [0] });
  assert.deepEqual(modules.slice(-2).map((m) => m.module), ['lm_head', 'loss']);
  for (const m of modules) assert.ok(m.relError <= 1e-5, `${m.module}: ${m.relError}`);
  const loss = opsOf(sharded.programs, 0, (o) => o.label.module === 'loss');
  assert.deepEqual(loss.map((o) => o.op), ['row_max', 'all_reduce', 'row_sum_exp', 'all_reduce', 'target_logit', 'all_reduce', 'cross_entropy']);
  assert.deepEqual(loss.filter((o) => o.op === 'all_reduce').map((o) => o.attrs!.reduce), ['max', 'sum', 'sum']);
  assert.equal(loss[0].label.entry, 'lm_head');
  // The reference computes the same loss with no collective; the value is a real cross-entropy (near log V for random logits).
  assert.ok(opsOf(ref.programs, 0, (o) => o.label.module === 'loss').every((o) => !o.group));
  const value = run.buffers[3].get(sharded.final.buffer)![0];
  assert.ok(Math.abs(value - refRun.buffers[0].get(ref.final.buffer)![0]) <= 1e-5 * Math.abs(value));
  const V = ref.outputs.at(-2)!.width;
  assert.ok(value > 0.5 * Math.log(V) && value < 2 * Math.log(V), `loss ${value} for a vocabulary of ${V}`);
});

test('loss from gathered logits (colwise_gather_output) needs no collective and matches', () => {
  const { sharded, modules } = lowerPlan('test/fixtures/lower/embed-rowwise.shardplan.json', { tail: true, loss: true });
  assert.equal(modules.at(-1)!.module, 'loss');
  assert.ok(modules.at(-1)!.relError <= 1e-5);
  assert.ok(opsOf(sharded.programs, 0, (o) => o.label.module === 'loss').every((o) => !o.group));
});

test('fault: a plain colwise lm_head leaves vocab-sharded logits that no loss_parallel reduces: located at lm_head', () => {
  assert.throws(
    () => lowerPlan('test/fixtures/lower/lm-head-colwise-loss.shardplan.json', { tail: true, loss: true }),
    (e: unknown) => e instanceof LoweringError && e.module === 'lm_head' && e.entry?.key === 'lm_head' && /loss_parallel/.test(e.message),
  );
});

test('all-to-all expert dispatch: uneven all_to_all_v counts from the routing, experts on received rows, numbers match the reference', () => {
  const { sharded, modules } = lowerPlan('test/fixtures/rehearse/ep-dispatch.shardplan.json', { routing: true });
  for (const m of modules) assert.ok(m.relError <= 1e-5, `${m.module}: ${m.relError}`);
  const moe = opsOf(sharded.programs, 0, (o) => /mlp\.experts$/.test(o.label.module ?? ''));
  assert.deepEqual(moe.map((o) => o.op), ['dispatch_pack', 'all_to_all_v', 'all_to_all_v', 'all_to_all_v', 'experts', 'all_to_all_v', 'scatter_add_rows']);
  assert.equal(moe[1].label.entry, 'layers.*.mlp.experts');
  assert.ok(!sharded.notes.some((n) => /rehearsed as transformers' all-reduce combine/.test(n)));
  assert.equal(sharded.wantsRouting, false);
  // Counts: what rank r sends to i is what i expects from r, and some ranks receive more rows than others.
  const sends = sharded.programs.ranks.map((r) => r.ops.find((o) => o.op === 'all_to_all_v')!.attrs!.sendCounts as number[]);
  const recvs = sharded.programs.ranks.map((r) => r.ops.find((o) => o.op === 'all_to_all_v')!.attrs!.recvCounts as number[]);
  for (let r = 0; r < 8; r++) for (let i = 0; i < 8; i++) assert.equal(recvs[i][r], sends[r][i]);
  const received = recvs.map((c) => c.reduce((a, b) => a + b, 0));
  assert.ok(new Set(received).size > 1, `received ${received}`);
  // Every rank dispatches its tokens' top-k pairs: T·k rows out of each rank.
  assert.ok(sends.every((c) => c.reduce((a, b) => a + b, 0) === 16 * 2));
});

test('without the routing, the all-to-all plan falls back to the all-reduce combine and says so', () => {
  const { sharded, modules } = lowerPlan('test/fixtures/rehearse/ep-dispatch.shardplan.json');
  for (const m of modules) assert.ok(m.relError <= 1e-5, `${m.module}: ${m.relError}`);
  assert.ok(sharded.notes.some((n) => /rehearsed as transformers' all-reduce combine/.test(n)));
  assert.ok(!sharded.programs.ranks[0].ops.some((o) => o.op === 'all_to_all_v'));
  assert.equal(sharded.wantsRouting, true);
});

test('a dispatch lowered for one routing refuses to run with another', () => {
  const { sharded, refRun } = lowerPlan('test/fixtures/rehearse/ep-dispatch.shardplan.json', { routing: true });
  const other = new Map([...refRun.routing].map(([k, v]) => [k, { idx: v.idx.map((e) => (e + 1) % 8), weights: v.weights }]));
  assert.throws(() => interpret(sharded.programs, { routing: other }), (e: unknown) => e instanceof ProgramError && /routing differs from the reference's/.test(e.message) && /mlp\.experts$/.test(e.label?.module ?? ''));
});

test('backward with dispatch: mirrored all_to_all_v and the experts GEMMs with their routed row counts; predicted events line up op for op', () => {
  const { sharded, run, refRun } = lowerPlan('test/fixtures/rehearse/ep-dispatch.shardplan.json', { routing: true, backward: true });
  const bw = opsOf(sharded.programs, 2, (o) => o.label.pass === 'backward' && /mlp\.experts$/.test(o.label.module ?? ''));
  const a2a = bw.filter((o) => o.op === 'all_to_all_v');
  assert.equal(a2a.length, 2);
  const fwd = sharded.programs.ranks[2].ops.find((o) => o.op === 'all_to_all_v')!.attrs!;
  assert.deepEqual(a2a[0].attrs!.sendCounts, fwd.sendCounts);
  assert.deepEqual(a2a[1].attrs!.sendCounts, fwd.recvCounts);
  // Rank 2 holds expert 2: as many GEMM rows as (token, slot) pairs routed to it, once per dispatching rank.
  const idx = [...refRun.routing.values()][0].idx;
  const routedTo2 = idx.filter((e) => e === 2).length * 8;
  const gemms = bw.filter((o) => o.op === 'gemm');
  const shapeOf = (id: string) => sharded.programs.buffers.find((b) => b.rank === 2 && b.id === id)!.shape;
  if (routedTo2) {
    assert.equal(gemms.length, 4);
    assert.deepEqual(shapeOf(gemms[0].ins[0]).slice(0, 1), [routedTo2]);
    assert.deepEqual(shapeOf(gemms[1].outs[0]), shapeOf(gemms[0].ins[1]));
  } else assert.equal(gemms.length, 0);
  // Reverse flow order: the experts' backward comes before attention's.
  const order = sharded.programs.ranks[2].ops.filter((o) => o.label.pass === 'backward').map((o) => o.label.module ?? '');
  assert.ok(order.findIndex((m) => m.endsWith('mlp.experts')) >= 0 && order.findIndex((m) => m.endsWith('mlp.experts')) < order.findIndex((m) => m.endsWith('self_attn.o_proj')), order.join(' '));
  for (let r = 0; r < 8; r++) {
    const m = run.events.filter((e) => e.rank === r).sort((a, b) => a.index - b.index).map((e) => e.op);
    const p = predict(sharded.programs, defaultCostModel('cpu')).filter((e) => e.rank === r).map((e) => e.op);
    assert.deepEqual(p, m);
  }
});

test('all_to_all_v in the interpreter: rows by send counts in member order, and counts that disagree are an error', () => {
  const prog = (recv1: number[]): RankPrograms => ({
    worldSize: 2,
    groups: [[0, 1]],
    buffers: [
      { id: 'x', rank: 0, dtype: 'f32', shape: [3, 1], init: { kind: 'input', key: 'a', globalShape: [3, 1], ranges: [[[0, 3], [0, 1]]], scale: 1 } },
      { id: 'x', rank: 1, dtype: 'f32', shape: [1, 1], init: { kind: 'input', key: 'b', globalShape: [1, 1], ranges: [[[0, 1], [0, 1]]], scale: 1 } },
      { id: 'y', rank: 0, dtype: 'f32', shape: [1, 1] },
      { id: 'y', rank: 1, dtype: 'f32', shape: [3, 1] },
    ],
    ranks: [
      { rank: 0, ops: [{ op: 'all_to_all_v', ins: ['x'], outs: ['y'], group: 0, attrs: { sendCounts: [0, 3], recvCounts: [0, 1] }, label: {} }] },
      { rank: 1, ops: [{ op: 'all_to_all_v', ins: ['x'], outs: ['y'], group: 0, attrs: { sendCounts: [1, 0], recvCounts: recv1 }, label: { module: 'm' } }] },
    ],
  });
  const r = interpret(prog([3, 0]));
  assert.deepEqual([...r.buffers[0].get('y')!], [...r.buffers[1].get('x')!]);
  assert.deepEqual([...r.buffers[1].get('y')!], [...r.buffers[0].get('x')!]);
  assert.throws(() => interpret(prog([2, 1])), /rank 1 expects 2 rows from rank 0, which sends 3/);
});
