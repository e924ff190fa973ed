import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPrograms, RuntimeProgramError } from '../../../extension/runtime';
import { Prog, childPath } from './helpers';

const refused = (g: Prog, re: RegExp) => assert.rejects(runPrograms(g.p, { childPath: childPath() }), (e: Error) => e instanceof RuntimeProgramError && re.test(e.message));

test('a bad program is refused before any work, naming the op and the rank', async () => {
  await refused(new Prog(2).buf(0, 'a', [4]).buf(1, 'a', [4]).op(1, 'add', ['a', 'b'], ['a']), /^rank 1, op 0 \(add\): unknown buffer 'b'/);
  await refused(new Prog(1).buf(0, 'a', [4]).buf(0, 'b', [5]).op(0, 'add', ['a', 'a'], ['b']), /rank 0, op 0 \(add\): buffer 'a' \[4\] f32 and 'b' \[5\] f32 differ in size/);
  await refused(new Prog(1).buf(0, 'A', [2, 3]).buf(0, 'B', [4, 5]).buf(0, 'C', [2, 5]).op(0, 'gemm', ['A', 'B'], ['C']), /op 0 \(gemm\): .*disagree on K/);
  await refused(new Prog(1).buf(0, 'a', [4]).op(0, 'conv' as never, ['a'], ['a']), /unknown op 'conv'/);
  const g = new Prog(3);
  for (let r = 0; r < 3; r++) g.buf(r, 'x', [r === 2 ? 9 : 8]).op(r, 'all_reduce', ['x'], ['x'], { group: 0 });
  await refused(g, /^rank 2, op 0 \(all_reduce\): ranks disagree on the collective's size: 9 elements here, 8 on rank 0/);
  const v = new Prog(2);
  v.buf(0, 'x', [3, 2]).buf(0, 'y', [3, 2]).buf(1, 'x', [3, 2]).buf(1, 'y', [3, 2]);
  v.op(0, 'all_to_all_v', ['x'], ['y'], { group: 0, attrs: { sendCounts: [1, 2], recvCounts: [1, 2] } });
  v.op(1, 'all_to_all_v', ['x'], ['y'], { group: 0, attrs: { sendCounts: [2, 1], recvCounts: [1, 2] } });
  await refused(v, /rank 0, op 0 \(all_to_all_v\): sends 2 rows to rank 1, which expects 1/);
  await refused(new Prog(2, [[0, 1]]).buf(0, 'x', [2]).op(0, 'all_reduce', ['x'], ['x'], { group: 3 }), /group 3 does not exist/);
});

test('a rank that never reaches a collective: the watchdog ends the run with a report per rank', async () => {
  const g = new Prog(4);
  for (let r = 0; r < 4; r++) {
    g.buf(r, 'x', [16]).op(r, 'scale', ['x'], ['x'], { attrs: { factor: 2 } }).op(r, 'all_reduce', ['x'], ['x'], { group: 0 });
    if (r !== 3) g.op(r, 'all_gather', ['x'], ['x'] as never, { group: 0 }); // only 3 of 4 ranks call it
  }
  // all_gather's output must be 4× its input: give those ranks a proper buffer.
  for (let r = 0; r < 3; r++) { g.buf(r, 'g', [64]); g.p.ranks[r].ops[2].outs = ['g']; }
  const res = await runPrograms(g.p, { childPath: childPath(), timeoutMs: 300 });
  assert.equal(res.report.ok, false);
  assert.equal(res.report.kind, 'timeout');
  assert.deepEqual(res.report.missing, [3]);
  assert.equal(res.report.seq, 1);
  assert.match(res.report.message ?? '', /op 2 \(all_gather\): waited \d+ ms in collective #1 of group 0 for ranks 3/);
  assert.deepEqual(res.report.ranks.map((r) => [r.lastStarted, r.lastFinished]), [[2, 1], [2, 1], [2, 1], [1, 1]]);
});

test('a rank stuck in an op that reports no work (sleep) past the timeout is named as missing', async () => {
  const g = new Prog(3);
  for (let r = 0; r < 3; r++) {
    g.buf(r, 'x', [8]);
    if (r === 1) g.op(r, 'sleep', [], [], { attrs: { ms: 1500 } });
    g.op(r, 'all_reduce', ['x'], ['x'], { group: 0 });
  }
  const res = await runPrograms(g.p, { childPath: childPath(), timeoutMs: 200 });
  assert.equal(res.report.kind, 'timeout');
  assert.deepEqual(res.report.missing, [1]);
  assert.deepEqual([res.report.ranks[1].lastStarted, res.report.ranks[0].lastStarted], [0, 0]); // rank 1 never started the collective
});

test('cancel from the parent ends a run blocked in a collective', async () => {
  const g = new Prog(2);
  for (let r = 0; r < 2; r++) g.buf(r, 'x', [8]);
  g.op(0, 'all_reduce', ['x'], ['x'], { group: 0 });
  g.op(1, 'sleep', [], [], { attrs: { ms: 800 } }).op(1, 'all_reduce', ['x'], ['x'], { group: 0 }).op(1, 'all_reduce', ['x'], ['x'], { group: 0 });
  g.op(0, 'all_reduce', ['x'], ['x'], { group: 0 });
  g.op(0, 'all_reduce', ['x'], ['x'], { group: 0 }); // rank 0 waits here for a partner that never comes
  const ac = new AbortController();
  const progress: number[] = [];
  const pending = runPrograms(g.p, { childPath: childPath(), timeoutMs: 60000, signal: ac.signal, onProgress: (p) => { progress.push(p[0].started); if (p[0].started === 3) ac.abort(); } });
  const res = await pending;
  assert.equal(res.report.kind, 'cancelled');
  assert.ok(progress.includes(3));
});

test('a native crash of the child is reported with its signal and last output; the parent lives on', async () => {
  const g = new Prog(2);
  for (let r = 0; r < 2; r++) g.buf(r, 'x', [8]).op(r, 'scale', ['x'], ['x']).op(r, 'scale', ['x'], ['x']);
  const res = await runPrograms(g.p, { childPath: childPath(), env: { ...process.env, SHARDSCOPE_TEST_ABORT_AT: '1/1' } });
  assert.equal(res.report.ok, false);
  assert.equal(res.report.kind, 'crash');
  assert.equal(res.report.signal, 'SIGABRT');
  assert.match(res.report.message ?? '', /SIGABRT/);
  assert.equal(typeof res.report.lastOutput, 'string');
  // And the next run in a fresh child works.
  const ok = await runPrograms(g.p, { childPath: childPath() });
  assert.equal(ok.report.ok, true);
});
