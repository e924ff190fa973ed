import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPrograms } from '../../../extension/runtime';
import { Prog, childPath, values, assertClose } from './helpers';

// One program per world size carries every collective, each on buffers of an odd size.
async function checkWorld(n: number): Promise<void> {
  const g = new Prog(n);
  const data: Record<string, Float32Array> = {};
  const E = 7; // elements per rank chunk: odd on purpose
  for (let r = 0; r < n; r++) {
    data[`${r}/x`] = values(E * n, 100 + r);
    data[`${r}/s`] = values(E, 200 + r);
    g.buf(r, 'x', [n, E]).buf(r, 'ar', [n, E]).buf(r, 's', [E]).buf(r, 'ag', [n * E]).buf(r, 'rs', [E]).buf(r, 'a2a', [n, E]).buf(r, 'bc', [n, E]).buf(r, 'armax', [n, E]);
    g.op(r, 'all_reduce', ['x'], ['ar'], { group: 0 })
      .op(r, 'all_gather', ['s'], ['ag'], { group: 0 })
      .op(r, 'reduce_scatter', ['x'], ['rs'], { group: 0 })
      .op(r, 'all_to_all', ['x'], ['a2a'], { group: 0 })
      .op(r, 'broadcast', ['x'], ['bc'], { group: 0, attrs: { root: n - 1 } })
      .op(r, 'all_reduce', ['x'], ['armax'], { group: 0, attrs: { reduce: 'max' } })
      .op(r, 'all_reduce', ['x'], ['x'], { group: 0 }); // in place
  }
  const outputs = Array.from({ length: n }, (_, r) => ['ar', 'ag', 'rs', 'a2a', 'bc', 'armax', 'x'].map((b) => `${r}/${b}`)).flat();
  const res = await runPrograms(g.p, { childPath: childPath(), data, outputs, timeoutMs: 10000 });
  assert.equal(res.report.ok, true, res.report.message);
  const sum = new Float32Array(n * E), max = new Float32Array(n * E).fill(-Infinity);
  for (let r = 0; r < n; r++) data[`${r}/x`].forEach((v, i) => { sum[i] += v; max[i] = Math.max(max[i], v); });
  for (let r = 0; r < n; r++) {
    const o = res.outputs;
    assertClose(o[`${r}/ar`], sum, 1e-5, `all_reduce n=${n} rank ${r}`);
    assertClose(o[`${r}/x`], sum, 1e-5, `in-place all_reduce n=${n} rank ${r}`);
    assertClose(o[`${r}/armax`], max, 0, `max all_reduce n=${n} rank ${r}`);
    assertClose(o[`${r}/ag`], Array.from({ length: n }, (_, q) => [...data[`${q}/s`]]).flat(), 0, `all_gather n=${n} rank ${r}`);
    assertClose(o[`${r}/rs`], sum.slice(r * E, (r + 1) * E), 1e-5, `reduce_scatter n=${n} rank ${r}`);
    assertClose(o[`${r}/a2a`], Array.from({ length: n }, (_, q) => [...data[`${q}/x`].slice(r * E, (r + 1) * E)]).flat(), 0, `all_to_all n=${n} rank ${r}`);
    assertClose(o[`${r}/bc`], data[`${n - 1}/x`], 0, `broadcast n=${n} rank ${r}`);
  }
  // Every collective has one event per rank, with the same sequence number in its group.
  const coll = res.events.filter((e) => e.seq !== undefined);
  assert.equal(coll.length, 7 * n);
  for (let s = 0; s < 7; s++) assert.equal(coll.filter((e) => e.seq === s).length, n);
}

for (let n = 1; n <= 8; n++) test(`collectives match the reference with ${n} rank(s)`, () => checkWorld(n));

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
  const add = (...rs: number[]) => values(11, 0).map((_, i) => rs.reduce((s, r) => s + values(11, r)[i], 0));
  assertClose(res.outputs['0/y'], add(0, 2, 4, 5, 7), 1e-5, 'group of five');
  // Ranks 1 and 6 first sum over [1,3,6], then over the pair [6,1]: twice the first sum.
  assertClose(res.outputs['1/y'], add(1, 3, 6).map((v) => 2 * v), 1e-5, 'group of three then pair');
  assertClose(res.outputs['6/y'], res.outputs['1/y'], 0, 'pair agrees');
  assert.deepEqual(res.events.find((e) => e.rank === 6 && e.group === 2)?.members, [6, 1]);
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
  for (let j = 0; j < n; j++) {
    const expected: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = send[i].slice(0, j).reduce((a, b) => a + b, 0);
      expected.push(...data[`${i}/x`].slice(start * H, (start + send[i][j]) * H));
    }
    assertClose(res.outputs[`${j}/y`], expected, 0, `all_to_all_v into rank ${j}`);
  }
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
  const { bf16 } = await import('./helpers');
  const expected = data['0/h'].map((_, i) => bf16(bf16(data['0/h'][i]) + bf16(data['1/h'][i]) + bf16(data['2/h'][i])));
  assertClose(res.outputs['1/hs'], expected, 0, 'bf16 sum');
});
