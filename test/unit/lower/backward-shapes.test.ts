import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RankPrograms } from '../../../extension/core/lower';
import { lowerPlan } from './ends-helpers';

/** Every forward linear (x·Wᵀ) on every rank has its input- and weight-gradient GEMMs with the same local shapes. */
function checkLinearBackward(p: RankPrograms): number {
  let checked = 0;
  for (const { rank, ops } of p.ranks) {
    const shape = (id: string) => p.buffers.find((b) => b.rank === rank && b.id === id)!.shape;
    for (const f of ops.filter((o) => o.op === 'gemm' && o.attrs?.transB === 1 && o.label.pass === 'forward')) {
      const [rows, K] = shape(f.ins[0]);
      const [N, K2] = shape(f.ins[1]);
      assert.equal(K, K2);
      const bw = ops.filter((o) => o.op === 'gemm' && o.label.pass === 'backward' && o.label.module === f.label.module);
      const dx = bw.find((o) => !o.attrs?.transA && o.ins[1] === f.ins[1]);
      const dw = bw.find((o) => o.attrs?.transA && o.ins[1] === f.ins[0]);
      assert.ok(dx && dw, `rank ${rank}: ${f.label.module} has no backward GEMMs`);
      assert.deepEqual(shape(dx.ins[0]), [rows, N], `${f.label.module} dy`);
      assert.deepEqual(shape(dx.outs[0]), [rows, K], `${f.label.module} dx`);
      assert.deepEqual(shape(dw.outs[0]), [N, K], `${f.label.module} dW`);
      checked++;
    }
  }
  return checked;
}

test('backward, tensor + sequence parallel: every linear has dX and dW GEMMs with its local shapes; the binding\'s backward collectives all run, at full size', () => {
  const { sharded } = lowerPlan('examples/llama-3-8b/tp-sp.shardplan.json', { backward: true, tail: true, layers: [0] });
  // 7 linears in the layer and lm_head, on 8 ranks.
  assert.equal(checkLinearBackward(sharded.programs), 8 * 8);
  const bw = sharded.programs.ranks[0].ops.filter((o) => o.label.pass === 'backward' && o.group !== undefined);
  const kinds = new Set(bw.map((o) => o.op));
  assert.ok(kinds.has('all_gather') && kinds.has('reduce_scatter'), [...kinds].join(', '));
  // Sequence-parallel gathers and scatters move whole [tokens, hidden] tensors: out = 8 × in for a gather.
  const shapeOf = (id: string) => sharded.programs.buffers.find((b) => b.rank === 0 && b.id === id)!.shape;
  for (const o of bw.filter((x) => x.op === 'all_gather')) assert.equal(shapeOf(o.outs[0])[0] * shapeOf(o.outs[0])[1], 8 * shapeOf(o.ins[0])[0] * shapeOf(o.ins[0])[1]);
});

test('backward, MoE with all-to-all dispatch: the router\'s GEMMs and every routed expert\'s, on every rank', () => {
  const { sharded, refRun } = lowerPlan('test/fixtures/rehearse/ep-dispatch.shardplan.json', { routing: true, backward: true });
  const n = checkLinearBackward(sharded.programs);
  // q, k, v, o and the router on 8 ranks.
  assert.equal(n, 5 * 8);
  const idx = [...refRun.routing.values()][0].idx;
  for (const { rank, ops } of sharded.programs.ranks) {
    // Rank r holds expert r (8 experts over 8 ranks): 4 GEMMs when any token routes to it.
    const routed = idx.some((e) => e === rank);
    assert.equal(ops.filter((o) => o.op === 'gemm' && o.label.pass === 'backward' && /mlp\.experts$/.test(o.label.module ?? '')).length, routed ? 4 : 0, `rank ${rank}`);
  }
});
