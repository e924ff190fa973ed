import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpret, ProgramError, type RankPrograms } from '../../../extension/core/lower';

/** Two ranks, each holding [1, 2] input rows of its own, through one collective. */
function twoRanks(op: 'all_reduce' | 'all_gather' | 'reduce_scatter', dim = 0): RankPrograms {
  const outShape = op === 'all_gather' ? (dim === 0 ? [2, 2] : [1, 4]) : op === 'reduce_scatter' ? [1, 1] : [1, 2];
  const buffers = [0, 1].flatMap((rank) => [
    { id: 'x', rank, dtype: 'f32' as const, shape: [1, 2], init: { kind: 'input' as const, key: 'x', globalShape: [2, 2], ranges: [[[rank, rank + 1], [0, 2]] as [number, number][]], scale: 1 } },
    { id: 'y', rank, dtype: 'f32' as const, shape: outShape },
  ]);
  return { worldSize: 2, groups: [[0, 1]], buffers, ranks: [0, 1].map((rank) => ({ rank, ops: [{ op, ins: ['x'], outs: ['y'], group: 0, attrs: { dim: op === 'reduce_scatter' ? 1 : dim }, label: {} }] })) };
}

test('all_reduce sums, all_gather concatenates in group order, reduce_scatter sums and splits', () => {
  const ar = interpret(twoRanks('all_reduce'));
  const x0 = interpret(twoRanks('all_gather')).buffers[0].get('x')!;
  const x1 = interpret(twoRanks('all_gather')).buffers[1].get('x')!;
  assert.deepEqual([...ar.buffers[1].get('y')!], [Math.fround(x0[0] + x1[0]), Math.fround(x0[1] + x1[1])]);
  assert.deepEqual([...interpret(twoRanks('all_gather')).buffers[0].get('y')!], [x0[0], x0[1], x1[0], x1[1]]);
  assert.deepEqual([...interpret(twoRanks('all_gather', 1)).buffers[1].get('y')!], [x0[0], x0[1], x1[0], x1[1]]);
  const rs = interpret(twoRanks('reduce_scatter'));
  assert.deepEqual([rs.buffers[0].get('y')![0], rs.buffers[1].get('y')![0]], [Math.fround(x0[0] + x1[0]), Math.fround(x0[1] + x1[1])]);
  // One event per rank, with the same sequence number on both.
  assert.deepEqual(ar.events.map((e) => [e.rank, e.seq, e.bytes]), [[0, 0, 8], [1, 0, 8]]);
});

test('collectives that do not line up are reported, not hung', () => {
  const p = twoRanks('all_reduce');
  p.ranks[1].ops[0] = { ...p.ranks[1].ops[0], op: 'all_gather' };
  assert.throws(() => interpret(p), (e: unknown) => e instanceof ProgramError && /rank 0: all_reduce; rank 1: all_gather/.test(e.message));
});

test('gemm multiplies by the transposed weight and refuses mismatched widths', () => {
  const base = (wShape: number[]): RankPrograms => ({
    worldSize: 1,
    groups: [],
    buffers: [
      { id: 'x', rank: 0, dtype: 'f32', shape: [1, 2], init: { kind: 'input', key: 'x', globalShape: [1, 2], ranges: [[[0, 1], [0, 2]]], scale: 1 } },
      { id: 'w', rank: 0, dtype: 'f32', shape: wShape, init: { kind: 'param', key: 'w', globalShape: wShape, ranges: [wShape.map((n) => [0, n] as [number, number])], scale: 1 } },
      { id: 'y', rank: 0, dtype: 'f32', shape: [1, wShape[0]] },
    ],
    ranks: [{ rank: 0, ops: [{ op: 'gemm', ins: ['x', 'w'], outs: ['y'], attrs: { transB: 1 }, label: { module: 'proj' } }] }],
  });
  const r = interpret(base([3, 2]));
  const x = r.buffers[0].get('x')!;
  const w = r.buffers[0].get('w')!;
  const y = r.buffers[0].get('y')!;
  for (let n = 0; n < 3; n++) assert.ok(Math.abs(y[n] - (x[0] * w[n * 2] + x[1] * w[n * 2 + 1])) < 1e-6);
  assert.throws(() => interpret(base([3, 4])), /proj multiplies \[1, 2\] by a weight of \[3, 4\]/);
});
