import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPrograms } from '../../../extension/runtime';
import type { BufferDType } from '../../../extension/core/lower/types';
import { Prog, childPath, values, assertClose, bf16 } from './helpers';

// The addon sums in fp32 in member order (and every member gets the same bits), so the references
// below accumulate the same way with Math.fround and compare exactly.
const f32 = Math.fround;
// Forces the addon's non-temporal-store path for every size (it otherwise starts at 32 MiB written).
const STREAM_ALL = { ...process.env, SHARDSCOPE_TEST_STREAM_BYTES: '0' };

/** Element-wise reduction of equal-length arrays in the given order: fp32 sums or max. */
function reduceRef(parts: ArrayLike<number>[], how: 'sum' | 'max', dtype: BufferDType): number[] {
  const round = dtype === 'bf16' ? bf16 : (x: number) => x;
  const out: number[] = [];
  for (let i = 0; i < parts[0].length; i++) {
    let acc = round(parts[0][i]);
    for (let m = 1; m < parts.length; m++) acc = how === 'sum' ? f32(acc + round(parts[m][i])) : Math.max(acc, round(parts[m][i]));
    out.push(round(acc));
  }
  return out;
}

interface WorldCase { n: number; E: number; dtype: BufferDType; env?: NodeJS.ProcessEnv }

// One program per world size carries every collective; E (elements per member chunk) is odd, and
// large enough in some cases to span several work items and unaligned block starts.
async function checkWorld({ n, E, dtype, env }: WorldCase): Promise<void> {
  const g = new Prog(n);
  const data: Record<string, Float32Array> = {};
  const round = dtype === 'bf16' ? bf16 : (x: number) => x;
  for (let r = 0; r < n; r++) {
    data[`${r}/x`] = values(E * n, 100 + r);
    data[`${r}/s`] = values(E, 200 + r);
    for (const [id, shape] of [['x', [n, E]], ['ar', [n, E]], ['s', [E]], ['ag', [n * E]], ['rs', [E]], ['a2a', [n, E]], ['bc', [n, E]], ['armax', [n, E]], ['y', [n, E]]] as const)
      g.buf(r, id, [...shape], dtype);
    g.op(r, 'all_reduce', ['x'], ['ar'], { group: 0 })
      .op(r, 'all_gather', ['s'], ['ag'], { group: 0 })
      .op(r, 'reduce_scatter', ['x'], ['rs'], { group: 0 })
      .op(r, 'all_to_all', ['x'], ['a2a'], { group: 0 })
      .op(r, 'broadcast', ['x'], ['bc'], { group: 0, attrs: { root: n - 1 } })
      .op(r, 'all_reduce', ['x'], ['armax'], { group: 0, attrs: { reduce: 'max' } })
      .op(r, 'copy', ['x'], ['y'])
      .op(r, 'all_to_all', ['y'], ['y'], { group: 0 }) // in place
      .op(r, 'all_reduce', ['x'], ['x'], { group: 0 }); // in place, last: the others read x first
  }
  const outputs = Array.from({ length: n }, (_, r) => ['ar', 'ag', 'rs', 'a2a', 'bc', 'armax', 'x', 'y'].map((b) => `${r}/${b}`)).flat();
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs, timeoutMs: 20000, env });
  assert.equal(res.report.ok, true, res.report.message);
  const xs = Array.from({ length: n }, (_, r) => data[`${r}/x`]);
  const sum = reduceRef(xs, 'sum', dtype), max = reduceRef(xs, 'max', dtype);
  const what = `n=${n} E=${E} ${dtype}${env ? ' streaming' : ''}`;
  for (let r = 0; r < n; r++) {
    const o = res.outputs;
    const a2a = Array.from({ length: n }, (_, q) => [...data[`${q}/x`].slice(r * E, (r + 1) * E)].map(round)).flat();
    assertClose(o[`${r}/ar`], sum, 0, `all_reduce ${what} rank ${r}`);
    assertClose(o[`${r}/x`], sum, 0, `in-place all_reduce ${what} rank ${r}`);
    assertClose(o[`${r}/armax`], max, 0, `max all_reduce ${what} rank ${r}`);
    assertClose(o[`${r}/ag`], Array.from({ length: n }, (_, q) => [...data[`${q}/s`]].map(round)).flat(), 0, `all_gather ${what} rank ${r}`);
    assertClose(o[`${r}/rs`], sum.slice(r * E, (r + 1) * E), 0, `reduce_scatter ${what} rank ${r}`);
    assertClose(o[`${r}/a2a`], a2a, 0, `all_to_all ${what} rank ${r}`);
    assertClose(o[`${r}/y`], a2a, 0, `in-place all_to_all ${what} rank ${r}`);
    assertClose(o[`${r}/bc`], [...data[`${n - 1}/x`]].map(round), 0, `broadcast ${what} rank ${r}`);
  }
  // Every collective has one event per rank, with the same sequence number in its group.
  const coll = res.events.filter((e) => e.seq !== undefined);
  assert.equal(coll.length, 8 * n);
  for (let s = 0; s < 8; s++) assert.equal(coll.filter((e) => e.seq === s).length, n);
}

for (let n = 1; n <= 8; n++) {
  test(`collectives match the reference with ${n} rank(s), 7 elements per chunk`, () => checkWorld({ n, E: 7, dtype: 'f32' }));
  // 17011 f32 elements = 68 044 bytes per chunk: several work items per chunk, block starts off 16-byte alignment.
  test(`collectives match the reference with ${n} rank(s), 17011 elements per chunk`, () => checkWorld({ n, E: 17011, dtype: 'f32' }));
  test(`collectives match the reference with ${n} rank(s), bf16, 9001 elements per chunk`, () => checkWorld({ n, E: 9001, dtype: 'bf16' }));
}
for (const n of [2, 3, 8]) {
  test(`collectives with streaming stores match the reference with ${n} ranks (f32 and bf16)`, async () => {
    await checkWorld({ n, E: 17011, dtype: 'f32', env: STREAM_ALL });
    await checkWorld({ n, E: 4099, dtype: 'bf16', env: STREAM_ALL });
  });
}

test('all_reduce large enough to stream on its own (2 × 36 MB written) matches the reference', async () => {
  const n = 2, N = 4_500_001;
  const g = new Prog(n);
  const data: Record<string, Float32Array> = {};
  for (let r = 0; r < n; r++) {
    data[`${r}/x`] = values(N, 7 + r);
    g.buf(r, 'x', [N]).buf(r, 'y', [N]).op(r, 'all_reduce', ['x'], ['y'], { group: 0 });
  }
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: ['0/y', '1/y'], timeoutMs: 20000 });
  assert.equal(res.report.ok, true, res.report.message);
  const sum = data['0/x'].map((v, i) => f32(v + data['1/x'][i]));
  assertClose(res.outputs['0/y'], sum, 0, 'rank 0');
  assertClose(res.outputs['1/y'], sum, 0, 'rank 1');
});

test('i32 all_reduce sums exactly, past 2^24', async () => {
  const g = new Prog(3);
  const data: Record<string, Int32Array> = {};
  for (let r = 0; r < 3; r++) {
    data[`${r}/x`] = Int32Array.from({ length: 9 }, (_, i) => (1 << 24) + 1 + i * 1000 + r);
    g.buf(r, 'x', [9], 'i32').buf(r, 'y', [9], 'i32').buf(r, 'm', [9], 'i32');
    g.op(r, 'all_reduce', ['x'], ['y'], { group: 0 }).op(r, 'all_reduce', ['x'], ['m'], { group: 0, attrs: { reduce: 'max' } });
  }
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: ['1/y', '2/m'] });
  assert.equal(res.report.ok, true, res.report.message);
  assert.deepEqual([...res.outputs['1/y']], Array.from({ length: 9 }, (_, i) => 3 * ((1 << 24) + 1 + i * 1000) + 3));
  assert.deepEqual([...res.outputs['2/m']], Array.from({ length: 9 }, (_, i) => (1 << 24) + 1 + i * 1000 + 2));
});

test('collectives on subset groups run side by side', async () => {
  const groups = [[1, 3, 6], [0, 2, 4, 5, 7], [6, 1]];
  const g = new Prog(8, groups);
  const data: Record<string, Float32Array> = {};
  for (let r = 0; r < 8; r++) {
    data[`${r}/x`] = values(11, r);
    g.buf(r, 'x', [11]).buf(r, 'y', [11]);
    const mine = groups.map((m, i) => (m.includes(r) ? i : -1)).filter((i) => i >= 0);
    for (const gi of mine) g.op(r, 'all_reduce', ['x'], ['y'], { group: gi }).op(r, 'copy', ['y'], ['x']);
  }
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: [0, 1, 6].map((r) => `${r}/y`), timeoutMs: 10000 });
  assert.equal(res.report.ok, true, res.report.message);
  const x = (r: number) => values(11, r);
  assertClose(res.outputs['0/y'], reduceRef([0, 2, 4, 5, 7].map(x), 'sum', 'f32'), 0, 'group of five');
  // Ranks 1 and 6 first sum over [1,3,6], then over the pair [6,1]: twice the first sum.
  const first = reduceRef([1, 3, 6].map(x), 'sum', 'f32');
  assertClose(res.outputs['1/y'], reduceRef([first, first], 'sum', 'f32'), 0, 'group of three then pair');
  assertClose(res.outputs['6/y'], res.outputs['1/y'], 0, 'pair agrees');
  assert.deepEqual(res.events.find((e) => e.rank === 6 && e.group === 2)?.members, [6, 1]);
});

test('a group {4, 1, 3} of 6 ranks: every collective in the group member order; ranks outside stay untouched', async () => {
  const members = [4, 1, 3], n = 3, E = 5003;
  const g = new Prog(6, [members]);
  const data: Record<string, Float32Array> = {};
  for (let r = 0; r < 6; r++) {
    data[`${r}/x`] = values(n * E, 300 + r);
    data[`${r}/ar`] = values(n * E, 400 + r);
    g.buf(r, 'x', [n * E]).buf(r, 'ar', [n * E]).buf(r, 'ag', [n * n * E]).buf(r, 'rs', [E]).buf(r, 'a2a', [n * E]).buf(r, 'bc', [n * E]);
    if (!members.includes(r)) continue;
    g.op(r, 'all_reduce', ['x'], ['ar'], { group: 0 })
      .op(r, 'all_gather', ['x'], ['ag'], { group: 0 })
      .op(r, 'reduce_scatter', ['x'], ['rs'], { group: 0 })
      .op(r, 'all_to_all', ['x'], ['a2a'], { group: 0 })
      .op(r, 'broadcast', ['x'], ['bc'], { group: 0, attrs: { root: 1 } });
  }
  const outputs = [0, 1, 2, 3, 4, 5].flatMap((r) => ['ar', 'ag', 'rs', 'a2a', 'bc'].map((b) => `${r}/${b}`));
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs, timeoutMs: 10000 });
  assert.equal(res.report.ok, true, res.report.message);
  const xs = members.map((r) => data[`${r}/x`]);
  const sum = reduceRef(xs, 'sum', 'f32');
  members.forEach((r, i) => {
    assertClose(res.outputs[`${r}/ar`], sum, 0, `all_reduce rank ${r}`);
    assertClose(res.outputs[`${r}/ag`], xs.flatMap((x) => [...x]), 0, `all_gather rank ${r}`);
    assertClose(res.outputs[`${r}/rs`], sum.slice(i * E, (i + 1) * E), 0, `reduce_scatter rank ${r} (member ${i})`);
    assertClose(res.outputs[`${r}/a2a`], xs.flatMap((x) => [...x.slice(i * E, (i + 1) * E)]), 0, `all_to_all rank ${r}`);
    assertClose(res.outputs[`${r}/bc`], data['1/x'], 0, `broadcast rank ${r}`);
  });
  for (const r of [0, 2, 5]) {
    assertClose(res.outputs[`${r}/ar`], data[`${r}/ar`], 0, `rank ${r} outside the group`);
    assert.ok(res.outputs[`${r}/ag`].every((v) => v === 0), `rank ${r} all_gather output untouched`);
  }
});

test('all_to_all_v moves uneven row counts, including empty ones', async () => {
  const n = 4, H = 3;
  // send[i][j]: rows rank i sends to rank j
  const send = [[1, 0, 2, 3], [0, 0, 1, 0], [4, 1, 0, 2], [2, 2, 2, 2]];
  const g = new Prog(n);
  const data: Record<string, Float32Array> = {};
  for (let i = 0; i < n; i++) {
    const rowsOut = send[i].reduce((a, b) => a + b, 0), rowsIn = send.reduce((a, s) => a + s[i], 0);
    data[`${i}/x`] = values(rowsOut * H, 50 + i);
    g.buf(i, 'x', [rowsOut, H]).buf(i, 'y', [rowsIn, H]);
    g.op(i, 'all_to_all_v', ['x'], ['y'], { group: 0, attrs: { sendCounts: send[i], recvCounts: send.map((s) => s[i]) } });
  }
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: [0, 1, 2, 3].map((r) => `${r}/y`) });
  assert.equal(res.report.ok, true, res.report.message);
  for (let j = 0; j < n; j++) assertClose(res.outputs[`${j}/y`], a2avRef(send, (i) => data[`${i}/x`], H, j), 0, `all_to_all_v into rank ${j}`);
});

/** What member j receives in an all_to_all_v: member i's rows for j, in member order. */
function a2avRef(send: number[][], x: (i: number) => Float32Array, H: number, j: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < send.length; i++) {
    const start = send[i].slice(0, j).reduce((a, b) => a + b, 0);
    out.push(...x(i).slice(start * H, (start + send[i][j]) * H));
  }
  return out;
}

test('all_to_all_v with wide rows (several work items per block) and in place where counts allow', async () => {
  const n = 3, H = 4099; // odd row width: 16 396-byte rows
  // Row sums per member are equal for member 1 (sends 9, receives 9), so it runs in place.
  const send = [[2, 5, 0], [3, 1, 5], [7, 3, 1]];
  const g = new Prog(n);
  const data: Record<string, Float32Array> = {};
  for (let i = 0; i < n; i++) {
    const rowsOut = send[i].reduce((a, b) => a + b, 0), rowsIn = send.reduce((a, s) => a + s[i], 0);
    data[`${i}/x`] = values(rowsOut * H, 70 + i);
    const inPlace = rowsOut === rowsIn;
    g.buf(i, 'x', [rowsOut, H]);
    if (!inPlace) g.buf(i, 'y', [rowsIn, H]);
    g.op(i, 'all_to_all_v', ['x'], [inPlace ? 'x' : 'y'], { group: 0, attrs: { sendCounts: send[i], recvCounts: send.map((s) => s[i]) } });
  }
  assert.equal(g.p.buffers.filter((b) => b.id === 'y').length, 2, 'one member runs in place');
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: ['0/y', '1/x', '2/y'] });
  assert.equal(res.report.ok, true, res.report.message);
  for (const [j, id] of [[0, 'y'], [1, 'x'], [2, 'y']] as const) assertClose(res.outputs[`${j}/${id}`], a2avRef(send, (i) => data[`${i}/x`], H, j), 0, `into rank ${j}`);
});

test('send and recv pair ranks in program order; bf16 all_reduce sums in fp32', async () => {
  const g = new Prog(3);
  const data = { '0/a': values(5, 1), '2/a': values(5, 2), '0/h': values(6, 3), '1/h': values(6, 4), '2/h': values(6, 5) };
  for (let r = 0; r < 3; r++) g.buf(r, 'a', [5]).buf(r, 'h', [6], 'bf16').buf(r, 'hs', [6], 'bf16');
  g.op(0, 'send', ['a'], [], { attrs: { peer: 2 } }).op(2, 'recv', [], ['a'], { attrs: { peer: 0 } });
  g.op(2, 'send', ['a'], [], { attrs: { peer: 1 } }).op(1, 'recv', [], ['a'], { attrs: { peer: 2 } });
  for (let r = 0; r < 3; r++) g.op(r, 'all_reduce', ['h'], ['hs'], { group: 0 });
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: ['1/a', '2/a', '1/hs'] });
  assert.equal(res.report.ok, true, res.report.message);
  assertClose(res.outputs['2/a'], data['0/a'], 0, 'recv on 2');
  assertClose(res.outputs['1/a'], data['0/a'], 0, 'forwarded to 1');
  const expected = data['0/h'].map((_, i) => bf16(f32(f32(bf16(data['0/h'][i]) + bf16(data['1/h'][i])) + bf16(data['2/h'][i]))));
  assertClose(res.outputs['1/hs'], expected, 0, 'bf16 sum');
});

test('broadcast in place on the root', async () => {
  const g = new Prog(4);
  const data: Record<string, Float32Array> = {};
  for (let r = 0; r < 4; r++) {
    data[`${r}/x`] = values(70001, 90 + r);
    g.buf(r, 'x', [70001]).op(r, 'broadcast', ['x'], ['x'], { group: 0, attrs: { root: 2 } });
  }
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: [0, 1, 2, 3].map((r) => `${r}/x`) });
  assert.equal(res.report.ok, true, res.report.message);
  for (let r = 0; r < 4; r++) assertClose(res.outputs[`${r}/x`], data['2/x'], 0, `rank ${r}`);
});

// 8 ranks (more than this machine's cores) run 600 collectives back to back, each reusing the
// group's state: all_gather then reduce_scatter then a scale by 1/n gives every rank its own chunk
// back exactly, and an in-place all_reduce of equal values doubles them; any stale or raced block shows.
test('600 back-to-back collectives on 8 ranks keep the values exact', async () => {
  const n = 8, E = 4097, rounds = 200;
  const g = new Prog(n);
  const data: Record<string, Float32Array> = {};
  for (let r = 0; r < n; r++) {
    // Multiples of 2^-10: sums of 8 of them are exact in fp32, so dividing by 8 gives them back.
    data[`${r}/s`] = values(E, 500 + r).map((v) => Math.round(v * 1024) / 1024);
    data[`${r}/c`] = values(E, 600).map((v) => Math.round(v * 1024) / 1024); // the same on every rank
    g.buf(r, 's', [E]).buf(r, 'ag', [n * E]).buf(r, 'c', [E]);
    for (let k = 0; k < rounds; k++) {
      g.op(r, 'all_gather', ['s'], ['ag'], { group: 0 })
        .op(r, 'reduce_scatter', ['ag'], ['s'], { group: 0 })
        .op(r, 'scale', ['s'], ['s'], { attrs: { factor: 1 / n } })
        .op(r, 'all_reduce', ['c'], ['c'], { group: 0 })
        .op(r, 'scale', ['c'], ['c'], { attrs: { factor: 1 / n } });
    }
  }
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: Array.from({ length: n }, (_, r) => [`${r}/s`, `${r}/c`]).flat(), timeoutMs: 60000 });
  assert.equal(res.report.ok, true, res.report.message);
  for (let r = 0; r < n; r++) {
    assertClose(res.outputs[`${r}/s`], data[`${r}/s`], 0, `rank ${r} chunk`);
    assertClose(res.outputs[`${r}/c`], data[`${r}/c`], 0, `rank ${r} replicated`);
  }
  const seqs = res.events.filter((e) => e.rank === 5 && e.seq !== undefined).map((e) => e.seq);
  assert.deepEqual(seqs, Array.from({ length: 3 * rounds }, (_, i) => i));
});

// A dp=2 × tp=4 mesh: each rank alternates between its TP group and its DP group, so both kinds of
// group run collectives at the same time on the same ranks.
test('a TP and a DP group on the same ranks, interleaved', async () => {
  const tp = [[0, 1, 2, 3], [4, 5, 6, 7]], dp = [[0, 4], [1, 5], [2, 6], [3, 7]];
  const g = new Prog(8, [...tp, ...dp]);
  const E = 3001, rounds = 20;
  const data: Record<string, Float32Array> = {};
  for (let r = 0; r < 8; r++) {
    data[`${r}/x`] = values(E, 700 + r);
    g.buf(r, 'x', [E]).buf(r, 'g', [4 * E]);
    const t = r < 4 ? 0 : 1, d = 2 + (r % 4);
    for (let k = 0; k < rounds; k++) {
      g.op(r, 'all_reduce', ['x'], ['x'], { group: t })
        .op(r, 'scale', ['x'], ['x'], { attrs: { factor: 0.25 } })
        .op(r, 'all_gather', ['x'], ['g'], { group: t })
        .op(r, 'all_reduce', ['x'], ['x'], { group: d, attrs: { reduce: 'max' } });
    }
  }
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs: Array.from({ length: 8 }, (_, r) => [`${r}/x`, `${r}/g`]).flat(), timeoutMs: 30000 });
  assert.equal(res.report.ok, true, res.report.message);
  // Simulate the same rounds in JS with the same fp32 order.
  let x = Array.from({ length: 8 }, (_, r) => [...data[`${r}/x`]]);
  let gathered: number[][] = [];
  for (let k = 0; k < rounds; k++) {
    const tpSum = tp.map((m) => reduceRef(m.map((r) => x[r]), 'sum', 'f32').map((v) => f32(v * 0.25)));
    x = x.map((_, r) => tpSum[r < 4 ? 0 : 1]);
    gathered = x.map((_, r) => tp[r < 4 ? 0 : 1].flatMap((q) => x[q]));
    const dpMax = dp.map((m) => reduceRef(m.map((r) => x[r]), 'max', 'f32'));
    x = x.map((_, r) => dpMax[r % 4]);
  }
  for (let r = 0; r < 8; r++) {
    assertClose(res.outputs[`${r}/x`], x[r], 0, `rank ${r} after ${rounds} rounds`);
    assertClose(res.outputs[`${r}/g`], gathered[r], 0, `rank ${r} last all_gather`);
  }
});
