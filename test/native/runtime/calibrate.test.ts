// The calibration sweep through the runtime child and the addon's CPU collectives: fits per collective and
// rank count, the file `shardscope calibrate` writes, read back by `shardscope run --calibration`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPath, addonBuilt } from './helpers';
import { runCalibrationSweep, sweepRankCounts } from '../../../extension/runtime/calibrate';
import { readCalibration, SWEEP_OPS } from '../../../extension/core/lower';

const skip = !addonBuilt() && 'the addon is not built';

test('rank counts a sweep up to N fits', () => {
  assert.deepEqual(sweepRankCounts(2), [2]);
  assert.deepEqual(sweepRankCounts(4), [2, 4]);
  assert.deepEqual(sweepRankCounts(6), [2, 4, 6]);
  assert.deepEqual(sweepRankCounts(8), [2, 4, 8]);
});

test('the sweep on the addon: α and bus bandwidth for every collective on 2 and 4 rank threads, written and read back', { skip }, async () => {
  const lines: string[] = [];
  const c = await runCalibrationSweep({ ranks: 4, sizes: [64 * 1024, 1 << 20], repeats: 4, childPath: childPath(), onLog: (l) => lines.push(l) });
  assert.equal(c.backend, 'cpu');
  assert.deepEqual(c.fits.map((f) => `${f.op}/${f.ranks}`), [2, 4].flatMap((n) => SWEEP_OPS.map((op) => `${op}/${n}`)));
  for (const f of c.fits) {
    assert.equal(f.samples.length, 2);
    // Real measurements: the bandwidth is that of memory copies (not 0, not infinite); a fit whose larger
    // size was not slower (a busy machine) says so instead of inventing a latency.
    assert.ok(f.samples.every((x) => x.us > 0), JSON.stringify(f));
    assert.ok(f.busGBps > 0.01 && f.busGBps < 1000, JSON.stringify(f));
    if (f.noisy) assert.equal(f.alphaUs, 0);
    assert.ok(Number.isFinite(f.alphaUs));
  }
  // Compute rates per rank with 2 and 4 ranks at once: real (positive, finite) and said in the log.
  assert.deepEqual(c.compute?.map((x) => x.ranks), [2, 4]);
  for (const x of c.compute!) assert.ok(x.gemmFlops > 1e6 && x.gemmFlops < 1e13 && x.memBytesPerSec > 1e6 && x.memBytesPerSec < 1e13, JSON.stringify(x));
  assert.equal(lines.length, c.fits.length + c.compute!.length);
  const back = readCalibration(JSON.stringify(c));
  assert.deepEqual(back.fits, c.fits);
  assert.deepEqual(back.compute, c.compute);
});

test('shardscope calibrate --out writes a calibration shardscope run reads', { skip }, async () => {
  const { main } = await import('../../../extension/cli/main');
  const dir = mkdtempSync(join(tmpdir(), 'ss-calibrate-'));
  const file = join(dir, 'cal.json');
  const out: string[] = [];
  const err: string[] = [];
  const prev = process.env.SHARDSCOPE_RUNTIME_CHILD;
  process.env.SHARDSCOPE_RUNTIME_CHILD = childPath();
  try {
    const code = await main(['calibrate', '--ranks', '2', '--out', file], { out: (l) => out.push(l), err: (l) => err.push(l) });
    assert.equal(code, 0, err.join('\n'));
  } finally {
    if (prev === undefined) delete process.env.SHARDSCOPE_RUNTIME_CHILD;
    else process.env.SHARDSCOPE_RUNTIME_CHILD = prev;
  }
  const c = readCalibration(readFileSync(file, 'utf8'), file);
  assert.deepEqual(c.fits.map((f) => f.ranks), [2, 2, 2]);
  assert.ok(out.some((l) => l.includes(`--calibration ${file}`)));
  assert.equal((await main(['calibrate', '--ranks', '1'], { out: () => {}, err: () => {} })) , 2);
});

test('on GPUs (the stand-in: two NVLink pairs over PCIe): the detected topology sets the NVLink or PCIe defaults', { skip }, async () => {
  const { target } = await import('../cuda/target');
  const { detectedCostModel } = await import('../../../extension/runtime/calibrate');
  const t = await target({ gpus: 4 });
  const pair = await detectedCostModel(2, { childPath: childPath(), libraryDirs: t.libraryDirs, env: t.env });
  const all = await detectedCostModel(4, { childPath: childPath(), libraryDirs: t.libraryDirs, env: t.env });
  assert.equal(pair?.model.link.name, 'NVLink');
  assert.equal(all?.model.link.name, 'PCIe');
  assert.match(all!.note, /slowest link among GPUs 0, 1, 2, 3 is PCIe/);
});

test('the sweep on GPUs (the stand-in) runs through NCCL and fits every collective', { skip }, async () => {
  const { target } = await import('../cuda/target');
  const t = await target({ gpus: 4 });
  const c = await runCalibrationSweep({ ranks: 2, backend: 'cuda', sizes: [64 * 1024, 1 << 20], repeats: 2, childPath: childPath(), libraryDirs: t.libraryDirs, env: t.env });
  assert.equal(c.backend, 'cuda');
  assert.deepEqual(c.fits.map((f) => `${f.op}/${f.ranks}`), SWEEP_OPS.map((op) => `${op}/2`));
});
