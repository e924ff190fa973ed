// The watchdog watches progress, not silence: a long op ends no run, a real deadlock is reported with
// every rank that waits, where, and for whom.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPrograms, type RankProgress } from '../../../extension/runtime';
import { nativeExecutor } from '../../../extension/runtime/executor';
import { Prog, childPath } from './helpers';

test('a GEMM far longer than the timeout completes: its work reaches the parent as it runs', async () => {
  // Rank 0 multiplies [2048, 2048] × [2048, 4096] (34 GFLOP) while rank 1 waits for it in the all_reduce.
  const [M, K, N] = [2048, 2048, 4096];
  const input = (key: string, shape: number[]) => ({ kind: 'input' as const, key, globalShape: shape, ranges: [shape.map((d) => [0, d] as [number, number])], scale: 1 });
  const g = new Prog(2);
  for (let r = 0; r < 2; r++) g.buf(r, 'y', [M, N]);
  g.buf(0, 'a', [M, K], 'f32', input('a', [M, K])).buf(0, 'b', [K, N], 'f32', input('b', [K, N])).op(0, 'gemm', ['a', 'b'], ['y']);
  for (let r = 0; r < 2; r++) g.op(r, 'all_reduce', ['y'], ['y'], { group: 0 });
  const timeoutMs = 200, killGraceMs = 300;
  const beats: number[] = [];
  const res = await runPrograms(g.p, {
    childPath: childPath(), timeoutMs, killGraceMs,
    onProgress: (p: RankProgress[]) => { if (p[0].started === 1 && p[0].finished === 0) beats.push(p[0].work ?? 0); },
  });
  assert.equal(res.report.ok, true, res.report.message);
  const gemm = res.events.find((e) => e.rank === 0 && e.op === 0)!;
  const ms = (gemm.endNs - gemm.startNs) / 1e6;
  // Only meaningful if the op outlasted what a silence rule would allow (timeout + grace): it did here.
  assert.ok(ms > timeoutMs + killGraceMs, `the GEMM took ${ms.toFixed(0)} ms, not longer than ${timeoutMs + killGraceMs} ms`);
  assert.ok(new Set(beats).size >= 3, `the GEMM's work count moved while it ran (${beats.join(', ')})`);
});

test('a deadlock: one rank skips a collective and waits in another; every wait is reported', async () => {
  // Rank 2 skips the all_reduce of group 0 and waits for rank 0 in group 1; rank 0 waits for rank 2 in
  // group 0 (and would only then reach group 1); rank 1 waits in group 0 too.
  const g = new Prog(3, [[0, 1, 2], [0, 2]]);
  for (let r = 0; r < 3; r++) g.buf(r, 'x', [16]);
  g.op(0, 'all_reduce', ['x'], ['x'], { group: 0 }).op(0, 'all_reduce', ['x'], ['x'], { group: 1 });
  g.op(1, 'scale', ['x'], ['x'], { attrs: { factor: 2 } }).op(1, 'all_reduce', ['x'], ['x'], { group: 0 });
  g.op(2, 'all_reduce', ['x'], ['x'], { group: 1 }).op(2, 'all_reduce', ['x'], ['x'], { group: 0 });
  const res = await runPrograms(g.p, { childPath: childPath(), timeoutMs: 300 });
  assert.equal(res.report.kind, 'timeout');
  assert.deepEqual(res.report.waits?.map(({ rank, op, group, seq, missing }) => ({ rank, op, group, seq, missing })), [
    { rank: 0, op: 0, group: 0, seq: 0, missing: [2] },
    { rank: 1, op: 1, group: 0, seq: 0, missing: [2] },
    { rank: 2, op: 0, group: 1, seq: 0, missing: [0] },
  ]);
  assert.ok(res.report.waits![0].waitedMs >= 300);
  assert.match(res.report.message ?? '', /^rank 0, op 0 \(all_reduce\): waited \d+ ms in collective #0 of group 0 for ranks 2, and nothing it waits on moved in 300 ms$/);
  // Through the executor: one message naming each wait and its plan entry.
  const err = await nativeExecutor({ childPath: childPath(), timeoutMs: 300, prestart: false }).execute({ programs: g.p, backend: 'cpu', outputs: [], trace: false }).then(() => undefined, (e: Error) => e);
  assert.match(err?.message ?? '', /rank 0 waits in all_reduce #0 of group 0 \[0, 1, 2\] \(all_reduce#0\) for ranks 2\nrank 1 waits in all_reduce #0 of group 0 \[0, 1, 2\] \(all_reduce#1\) for ranks 2\nrank 2 waits in all_reduce #0 of group 1 \[0, 2\] \(all_reduce#0\) for ranks 0/);
});

test('a rank that skips its last collective leaves the others waiting: they are reported, it is not', async () => {
  const g = new Prog(3);
  for (let r = 0; r < 3; r++) g.buf(r, 'x', [8]).op(r, 'all_reduce', ['x'], ['x'], { group: 0 });
  for (let r = 0; r < 2; r++) g.op(r, 'all_reduce', ['x'], ['x'], { group: 0 });
  const res = await runPrograms(g.p, { childPath: childPath(), timeoutMs: 200 });
  assert.equal(res.report.kind, 'timeout');
  assert.deepEqual(res.report.waits?.map((w) => [w.rank, w.op, w.seq, w.missing]), [[0, 1, 1, [2]], [1, 1, 1, [2]]]);
  assert.deepEqual(res.report.ranks.map((r) => r.lastFinished), [0, 0, 0]);
});
