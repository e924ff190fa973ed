import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fitNcclTestsLog, CalibrationError, predict, defaultCostModel, type RankPrograms } from '../../../extension/core/lower';

test('an nccl-tests all_reduce log fits α and bus bandwidth for 8 ranks', () => {
  const [fit] = fitNcclTestsLog(readFileSync('test/fixtures/lower/nccl-tests-allreduce.log', 'utf8'));
  assert.equal(fit.op, 'all_reduce');
  assert.equal(fit.ranks, 8);
  assert.equal(fit.samples, 3);
  // 1 GiB in 5139 µs at busbw 2·7/8 → about 365 GB/s; the fit lands near it.
  assert.ok(fit.link.busGBps > 330 && fit.link.busGBps < 400, String(fit.link.busGBps));
  assert.ok(fit.link.alphaUs > 0 && fit.link.alphaUs < 10, String(fit.link.alphaUs));
});

test('a calibrated link replaces the default in the predicted timeline', () => {
  const [fit] = fitNcclTestsLog(readFileSync('test/fixtures/lower/nccl-tests-allreduce.log', 'utf8'));
  const p: RankPrograms = {
    worldSize: 8,
    groups: [[0, 1, 2, 3, 4, 5, 6, 7]],
    buffers: Array.from({ length: 8 }, (_, rank) => [{ id: 'x', rank, dtype: 'f32' as const, shape: [1024, 1024] }, { id: 'y', rank, dtype: 'f32' as const, shape: [1024, 1024] }]).flat(),
    ranks: Array.from({ length: 8 }, (_, rank) => ({ rank, ops: [{ op: 'all_reduce' as const, ins: ['x'], outs: ['y'], group: 0, label: {} }] })),
  };
  const base = defaultCostModel('cuda', 'pcie');
  const slow = predict(p, base)[0].durUs;
  const fast = predict(p, { ...base, links: { all_reduce: fit.link } })[0].durUs;
  // 4 MiB all_reduce: PCIe defaults (20 GB/s) versus the calibrated NVLink fit.
  assert.ok(slow > 10 * fast, `${slow} vs ${fast}`);
});

test('a log without results is a located error', () => {
  assert.throws(() => fitNcclTestsLog('# nothing here\n', 'x.log'), (e: unknown) => e instanceof CalibrationError && /x\.log: no nccl-tests results/.test(e.message));
  assert.throws(() => fitNcclTestsLog('        1024  256  float  sum  -1  28.0  0.04  0.06  0\n', 'y.log'), /y\.log:1: a result row before/);
});

test('rehearse --nccl-tests: the calibration is said in the notes and used for the predicted collectives', async () => {
  const { rehearse } = await import('../../../extension/core/rehearse');
  const r = await rehearse('examples/mixtral-8x7b/ep.shardplan.json', { budgetElements: 1.5e6, ncclTestsLog: 'test/fixtures/lower/nccl-tests-allreduce.log' });
  assert.ok(r.notes.some((n) => /all_reduce on 8 ranks: 3\d\d GB\/s/.test(n)), r.notes.join('\n'));
  const ar = r.collectives.find((c) => c.op === 'all_reduce')!;
  // 8 KiB on a calibrated NVLink fit: tens of µs, not the CPU default's hundreds.
  assert.ok(ar.predictedUs > 1 && ar.predictedUs < 50, String(ar.predictedUs));
});
