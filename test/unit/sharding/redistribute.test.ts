import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redistribute, predictCollectiveUs, busBandwidthGBps, fitLink, LINKS, type Placement } from '../../../extension/core/sharding';

const S = (dim: number): Placement => ({ kind: 'shard', dim });
const R: Placement = { kind: 'replicate' };
const P: Placement = { kind: 'partial', op: 'sum' };
const ops = (steps: ReturnType<typeof redistribute>) => steps.map((s) => `${s.op}@${s.meshDim}:${s.bytes}`);

test('the greedy planner: inner mesh dims first, nested sharding cleared', () => {
  assert.deepEqual(ops(redistribute([8, 4], 1, [2, 2], [S(0), S(0)], [R, S(0)])), ['all_gather@1:16', 'all_gather@0:32']);
  assert.deepEqual(ops(redistribute([8, 4], 1, [2, 2], [P, P], [R, R])), ['all_reduce@0:32', 'all_reduce@1:32']);
  assert.deepEqual(ops(redistribute([8, 4], 1, [2, 2], [S(0), S(0)], [R, R])), ['all_gather@1:16', 'all_gather@0:32']);
  assert.deepEqual(ops(redistribute([8, 4], 1, [2, 2], [R, P], [R, S(1)])), ['reduce_scatter@1:32']);
  assert.deepEqual(ops(redistribute([8, 4], 1, [4], [R], [S(0)])), [], 'a local chunk');
  assert.throws(() => redistribute([8], 1, [2], [S(0)], [P]), /not supported in the forward pass/);
});

test('bytes are nccl-tests’ S, padded for uneven shards as DTensor pads', () => {
  // 7 rows over 4 ranks: padded to 4 × 2 rows.
  assert.deepEqual(ops(redistribute([7, 4], 2, [4], [S(0)], [R])), ['all_gather@0:64']);
  assert.deepEqual(ops(redistribute([7, 4], 2, [4], [P], [S(0)])), ['reduce_scatter@0:64']);
  assert.deepEqual(ops(redistribute([7, 4], 2, [4], [P], [R])), ['all_reduce@0:56']);
  // All-to-all: the per-rank send buffer, [2, 4] padded along the target dim.
  assert.deepEqual(ops(redistribute([8, 6], 1, [4], [S(0)], [S(1)])), ['all_to_all@0:16']);
});

test('backward: the gradient goes back from the target to the source, Partial sources as Replicate', () => {
  assert.deepEqual(ops(redistribute([8, 4], 1, [4], [S(1)], [R], { backward: true })), [], 'R → S(1) is a local chunk');
  assert.deepEqual(ops(redistribute([8, 4], 1, [4], [R], [S(1)], { backward: true })), ['all_gather@0:32']);
  assert.deepEqual(ops(redistribute([8, 4], 1, [4], [P], [R], { backward: true })), []);
  assert.deepEqual(ops(redistribute([8, 4], 1, [4], [P], [S(0)], { backward: true })), ['all_gather@0:32']);
  assert.deepEqual(ops(redistribute([8, 4], 1, [4], [R], [R], { backward: true, gradPlacements: [P] })), ['all_reduce@0:32'], 'from_local(Replicate) whose gradient comes back partial');
  assert.deepEqual(ops(redistribute([8, 4], 1, [4], [S(1)], [S(0)], { backward: true })), ['all_to_all@0:8']);
});

test('α-β costs and bus bandwidth follow nccl-tests', () => {
  const link = { name: 'x', alphaUs: 0, busGBps: 100 };
  // 1 GB all-reduce on 8 ranks: busbw = S/t · 2(n-1)/n.
  const us = predictCollectiveUs('all_reduce', 1e9, 8, link);
  assert.ok(Math.abs(us - 17500) < 1e-6);
  assert.ok(Math.abs(busBandwidthGBps('all_reduce', 1e9, 8, us / 1e6) - 100) < 1e-9);
  assert.equal(predictCollectiveUs('all_gather', 1e9, 1, LINKS.nvlink), 0);
  const samples = [1e6, 1e7, 1e8].map((b) => ({ bytes: b, us: predictCollectiveUs('all_gather', b, 4, LINKS.pcie) }));
  const fit = fitLink('all_gather', 4, samples);
  assert.ok(Math.abs(fit.busGBps - LINKS.pcie.busGBps) < 1e-6 && Math.abs(fit.alphaUs - LINKS.pcie.alphaUs) < 1e-6);
});
