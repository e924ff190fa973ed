import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepPrograms, fitSweep, fitCompute, applyCalibration, readCalibration, defaultCostModel, slowestLink, predict, interpret, CalibrationError, SWEEP_OPS, type SweepEvent, type LinkTopology } from '../../../extension/core/lower';
import { predictCollectiveUs, LINKS } from '../../../extension/core/sharding';
import { rehearse } from '../../../extension/core/rehearse';
import { main } from '../../../extension/cli/main';

// Two NVLink islands (0–1, 2–3) joined over PCIe, as NVML reports a 4-GPU PCIe box with bridged pairs.
const islands: LinkTopology = {
  pairs: [
    { a: 0, b: 1, link: 'nvlink' },
    { a: 2, b: 3, link: 'nvlink' },
    { a: 0, b: 2, link: 'pcie' },
    { a: 0, b: 3, link: 'pcie' },
    { a: 1, b: 2, link: 'pcie' },
    { a: 1, b: 3, link: 'pcie' },
  ],
};

test('defaults from the detected topology: the slowest link in the group sets NVLink or PCIe', () => {
  assert.equal(slowestLink(islands, [0, 1]), 'nvlink');
  assert.equal(slowestLink(islands, [2, 3]), 'nvlink');
  assert.equal(slowestLink(islands, [0, 1, 2, 3]), 'pcie');
  assert.equal(slowestLink(islands), 'pcie');
  // A pair NVML did not list is not assumed to be NVLink.
  assert.equal(slowestLink({ pairs: [{ a: 0, b: 1, link: 'nvlink' }] }, [0, 1, 2]), 'pcie');
  assert.deepEqual(defaultCostModel('cuda', islands, [0, 1]).link, LINKS.nvlink);
  assert.deepEqual(defaultCostModel('cuda', islands, [0, 1, 2, 3]).link, LINKS.pcie);
  assert.deepEqual(defaultCostModel('cuda', { pairs: islands.pairs.filter((p) => p.link === 'nvlink').concat([{ a: 0, b: 2, link: 'nvlink' }, { a: 0, b: 3, link: 'nvlink' }, { a: 1, b: 2, link: 'nvlink' }, { a: 1, b: 3, link: 'nvlink' }]) }).link, LINKS.nvlink);
  // The CPU backend keeps its own shared-memory link whatever the GPUs are.
  assert.deepEqual(defaultCostModel('cpu', islands).link, LINKS.cpu);
});

test('the sweep: every collective at every size, warm-up first, programs the interpreter runs with matching shapes', () => {
  const sweep = sweepPrograms(4, [4096, 65536], 2);
  assert.equal(sweep.points.length, SWEEP_OPS.length * 2 * 3);
  assert.ok(sweep.points.filter((p) => p.warmup).length === SWEEP_OPS.length * 2);
  const run = interpret(sweep.programs);
  for (const p of sweep.points) {
    const e = run.events.find((x) => x.rank === 0 && x.index === p.index)!;
    assert.equal(e.op, p.op);
    // The interpreter's bytes for the op are nccl-tests' S: the whole buffer.
    assert.equal(e.bytes, p.bytes, `${p.op} ${p.bytes}`);
  }
  // Predicted and measured events line up op for op on every rank.
  const pred = predict(sweep.programs, defaultCostModel('cpu'));
  for (let r = 0; r < 4; r++) assert.deepEqual(pred.filter((p) => p.rank === r).map((p) => p.op), run.events.filter((e) => e.rank === r).sort((a, b) => a.index - b.index).map((e) => e.op));
});

test('fitting the sweep recovers α and bus bandwidth per collective from the slowest member', () => {
  const sweep = sweepPrograms(4, [65536, 1 << 20, 8 << 20], 3);
  const truth = { all_reduce: { alphaUs: 12, busGBps: 6 }, all_gather: { alphaUs: 8, busGBps: 9 }, reduce_scatter: { alphaUs: 10, busGBps: 7 } };
  const events: SweepEvent[] = [];
  let t = 0;
  for (const p of sweep.points) {
    const us = predictCollectiveUs(p.op, p.bytes, 4, { name: 'x', ...truth[p.op] });
    // Members arrive skewed; the last one in starts the collective, the last one out ends it.
    for (let r = 0; r < 4; r++) events.push({ rank: r, op: p.index, startNs: (t + r * 3) * 1e3, endNs: (t + 9 + us) * 1e3 + r * 50 });
    t += 10 * us + 100;
  }
  const fits = fitSweep(sweep, events);
  assert.deepEqual(fits.map((f) => f.op), [...SWEEP_OPS]);
  for (const f of fits) {
    assert.equal(f.ranks, 4);
    assert.equal(f.samples.length, 3);
    // Skew adds 0.15 µs on top of the model: the fit lands within a few percent.
    assert.ok(Math.abs(f.busGBps - truth[f.op as keyof typeof truth].busGBps) / truth[f.op as keyof typeof truth].busGBps < 0.02, `${f.op} ${f.busGBps}`);
    assert.ok(Math.abs(f.alphaUs - truth[f.op as keyof typeof truth].alphaUs) < 0.2, `${f.op} ${f.alphaUs}`);
  }
  assert.throws(() => fitSweep(sweep, events.filter((e) => e.rank !== 2)), /came back from 3 of 4 ranks/);
});

test('a sweep whose larger size was not slower fits the bandwidth of the largest size alone and says so', () => {
  const sweep = sweepPrograms(2, [65536, 1 << 20], 1);
  // 64 KiB in 72 µs, 1 MiB in 61 µs: latency-bound small sizes on a busy machine.
  const usOf = (bytes: number) => (bytes === 65536 ? 72 : 61);
  const events: SweepEvent[] = sweep.points.flatMap((p, i) => [0, 1].map((rank) => ({ rank, op: p.index, startNs: i * 1e6, endNs: i * 1e6 + usOf(p.bytes) * 1e3 })));
  const fits = fitSweep(sweep, events);
  assert.equal(fits.length, SWEEP_OPS.length);
  for (const f of fits) {
    assert.equal(f.noisy, true);
    assert.equal(f.alphaUs, 0);
    // The largest size alone: its bus bytes over its time.
    const alone = predictCollectiveUs(f.op, 1 << 20, 2, { name: '', alphaUs: 0, busGBps: f.busGBps });
    assert.ok(Math.abs(alone - 61) < 1e-6, `${f.op}: ${alone} µs`);
  }
});

test('a calibration applies per rank count; other group sizes take the nearest fit', () => {
  const c = readCalibration(readFileSync('test/fixtures/lower/calibration-8.json', 'utf8'), 'calibration-8.json');
  const model = applyCalibration(defaultCostModel('cpu'), c, 8);
  const prog = (n: number) => ({
    worldSize: n,
    groups: [Array.from({ length: n }, (_, i) => i)],
    buffers: Array.from({ length: n }, (_, rank) => [{ id: 'x', rank, dtype: 'f32' as const, shape: [256, 256] }, { id: 'y', rank, dtype: 'f32' as const, shape: [256, 256] }]).flat(),
    ranks: Array.from({ length: n }, (_, rank) => ({ rank, ops: [{ op: 'all_reduce' as const, ins: ['x'], outs: ['y'], group: 0, label: {} }] })),
  });
  const bytes = 256 * 256 * 4;
  assert.equal(predict(prog(8), model)[0].durUs, predictCollectiveUs('all_reduce', bytes, 8, { name: '', alphaUs: 50, busGBps: 0.5 }));
  assert.equal(predict(prog(2), model)[0].durUs, predictCollectiveUs('all_reduce', bytes, 2, { name: '', alphaUs: 5, busGBps: 40 }));
  // 4 ranks were not swept: the fit nearest to the preferred 8 stands in.
  assert.equal(predict(prog(4), model)[0].durUs, predictCollectiveUs('all_reduce', bytes, 4, { name: '', alphaUs: 50, busGBps: 0.5 }));
});

test('a file that is not a calibration is a located error', () => {
  assert.throws(() => readCalibration('{\n  "version": 1,\n  "fits": [,]\n}', 'c.json'), (e: unknown) => e instanceof CalibrationError && /^c\.json:3:\d+: not valid JSON/.test(e.message));
  assert.throws(() => readCalibration(readFileSync('test/fixtures/lower/calibration-bad.json', 'utf8'), 'bad.json'), (e: unknown) => e instanceof CalibrationError && /^bad\.json:3:3: fits\[0\] needs op, ranks \(> 1\), alphaUs and busGBps/.test(e.message));
  assert.throws(() => readCalibration('{"fits": []}', 'v.json'), (e: unknown) => e instanceof CalibrationError && /^v\.json:1:1: expected a shardscope calibration/.test(e.message));
});

test('rehearsal with a calibration: predicted collectives take the calibrated link and line up with the measured ones op for op', async () => {
  const c = readCalibration(readFileSync('test/fixtures/lower/calibration-8.json', 'utf8'));
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', { budgetElements: 1.5e6, layers: [0], costModel: applyCalibration(defaultCostModel('cpu'), c, 8) });
  assert.equal(r.verdict, 'match');
  for (let rank = 0; rank < 8; rank++) {
    const m = r.trace.events.filter((e) => e.rank === rank && e.source === 'measured').map((e) => e.name);
    const p = r.trace.events.filter((e) => e.rank === rank && e.source === 'predicted').map((e) => e.name);
    assert.deepEqual(p, m);
  }
  const ar = r.trace.events.find((e) => e.source === 'predicted' && e.name === 'all_reduce')!;
  assert.ok(Math.abs(ar.dur - predictCollectiveUs('all_reduce', ar.bytes!, 8, { name: '', alphaUs: 50, busGBps: 0.5 })) < 1e-6, `${ar.dur}`);
});

test('shardscope run --calibration: the fits are said in the notes; a bad file is a located error with exit 1', async () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };
  const a = io();
  const code = await main(['run', 'examples/llama-3-8b/tp.shardplan.json', '--layers', '0', '--width-scale', '16', '--calibration', 'test/fixtures/lower/calibration-8.json', '--json'], a.io);
  assert.equal(code, 0, a.err.join('\n'));
  const j = JSON.parse(a.out[0]);
  assert.ok(j.notes.some((n: string) => /collectives predicted from test\/fixtures\/lower\/calibration-8\.json \(all_reduce on 8 ranks: 0\.50 GB\/s, α 50\.0 µs/.test(n)), j.notes.join('\n'));
  const b = io();
  const dir = mkdtempSync(join(tmpdir(), 'ss-cal-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"version": 2}');
  assert.equal(await main(['run', 'examples/llama-3-8b/tp.shardplan.json', '--calibration', bad], b.io), 1);
  assert.match(b.err.join('\n'), /bad\.json:1:2: expected a shardscope calibration/);
});

test('the sweep\'s compute probes give per-rank GEMM and memory rates; a calibration with them sets the cost model\'s roofline', () => {
  const sweep = sweepPrograms(2, [65536, 1 << 20], 3);
  assert.deepEqual(sweep.compute.map((p) => `${p.kind}${p.warmup ? '*' : ''}`), ['gemm*', 'memory*', 'gemm', 'memory', 'gemm', 'memory', 'gemm', 'memory']);
  // Every probe is in every rank's program, before the collectives.
  for (const p of sweep.compute) for (const r of sweep.programs.ranks) assert.equal(r.ops[p.index].op, p.kind === 'gemm' ? 'gemm' : 'add');
  // 10 GFLOP/s and 4 GB/s per rank, one rank slowed once (the median ignores it); warm-ups take longer.
  const events: SweepEvent[] = [];
  for (const p of sweep.compute)
    for (const rank of [0, 1]) {
      const s = (p.kind === 'gemm' ? p.flops / 10e9 : p.bytes / 4e9) * (p.warmup ? 5 : rank === 1 && p.index === 2 ? 3 : 1);
      events.push({ rank, op: p.index, startNs: 0, endNs: s * 1e9 });
    }
  const fit = fitCompute(sweep, events)!;
  assert.equal(fit.ranks, 2);
  assert.ok(Math.abs(fit.gemmFlops - 10e9) < 1e3, `${fit.gemmFlops}`);
  assert.ok(Math.abs(fit.memBytesPerSec - 4e9) < 1e3, `${fit.memBytesPerSec}`);
  // The nearest rank count's rates go into the model; collectives keep their fits.
  const c = { version: 1 as const, source: 't', backend: 'cpu' as const, fits: [], compute: [fit, { ranks: 8, gemmFlops: 2e9, memBytesPerSec: 1e9 }] };
  assert.deepEqual([applyCalibration(defaultCostModel('cpu'), c, 2).gemmFlops, applyCalibration(defaultCostModel('cpu'), c, 6).gemmFlops], [10e9, 2e9]);
  // The roofline: a GEMM over 8 rows is bound by reading its weight, one over 1024 rows by arithmetic.
  const model = { ...defaultCostModel('cpu'), gemmFlops: 10e9, memBytesPerSec: 1e9 };
  const gemm = (rows: number) => predict({ worldSize: 1, groups: [[0]], buffers: [{ id: 'x', rank: 0, dtype: 'f32', shape: [rows, 1024] }, { id: 'w', rank: 0, dtype: 'f32', shape: [1024, 1024] }, { id: 'y', rank: 0, dtype: 'f32', shape: [rows, 1024] }], ranks: [{ rank: 0, ops: [{ op: 'gemm', ins: ['x', 'w'], outs: ['y'], attrs: { transB: 1 }, label: {} }] }] }, model)[0].durUs;
  assert.ok(Math.abs(gemm(8) - (4 * (8 * 1024 * 2 + 1024 * 1024)) / 1e9 * 1e6) < 1e-6, `${gemm(8)}`);
  assert.ok(Math.abs(gemm(1024) - (2 * 1024 ** 3) / 10e9 * 1e6) < 1e-6, `${gemm(1024)}`);
});

test('a calibration\'s compute rates are checked when read', () => {
  const base = { version: 1, fits: [{ op: 'all_reduce', ranks: 2, alphaUs: 1, busGBps: 1 }] };
  assert.deepEqual(readCalibration(JSON.stringify({ ...base, compute: [{ ranks: 2, gemmFlops: 1e9, memBytesPerSec: 2e9 }] })).compute, [{ ranks: 2, gemmFlops: 1e9, memBytesPerSec: 2e9 }]);
  assert.equal(readCalibration(JSON.stringify(base)).compute, undefined);
  assert.throws(() => readCalibration(JSON.stringify({ ...base, compute: [{ ranks: 2, gemmFlops: 0, memBytesPerSec: 2e9 }] }, null, 2), 'c.json'), (e: unknown) => e instanceof CalibrationError && /^c\.json:\d+:\d+: compute\[0\] needs ranks/.test(e.message));
});
