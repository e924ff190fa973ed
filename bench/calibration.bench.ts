// The cost model's collectives calibrated from the runtime's own sweep: how long the sweep takes, what it
// fits on this machine's CPU rank threads, and whether it brings the predicted timeline closer to the
// measured one (predicted ÷ measured of the collectives in a rehearsal, defaults against calibrated).
import { rehearse } from '../extension/core/rehearse';
import { nativeExecutor, nativeUnavailable } from '../extension/runtime';
import { runCalibrationSweep } from '../extension/runtime/calibrate';
import { applyCalibration, defaultCostModel } from '../extension/core/lower';
import { join } from 'node:path';

const PLAN = 'examples/llama-3-8b/tp.shardplan.json';
const CHILD = join(process.cwd(), 'dist', 'runtime-child.js');

export default async function () {
  const why = nativeUnavailable(CHILD);
  if (why) return [{ name: 'calibration sweep', value: NaN, unit: '', note: `skipped: ${why}` }];
  const t0 = performance.now();
  const cal = await runCalibrationSweep({ ranks: 8, childPath: CHILD });
  const sweepMs = performance.now() - t0;
  const rows: { name: string; value: number; unit: string; better?: 'lower' | 'higher'; note?: string }[] = [
    { name: 'calibration sweep, 2/4/8 CPU rank threads', value: sweepMs, unit: 'ms', better: 'lower', note: '3 collectives × 3 sizes (64 KiB–4 MiB) × 3 repeats per rank count' },
  ];
  for (const f of cal.fits) rows.push({ name: `fit ${f.op} on ${f.ranks} ranks`, value: f.busGBps, unit: 'GB/s', note: `α ${f.alphaUs.toFixed(1)} µs` });
  // The same rehearsal (8 ranks, 1/4 widths, 64 tokens so collectives carry real sizes), predicted with the defaults and with the fit.
  const executor = nativeExecutor({ childPath: CHILD });
  const opts = { executor, layers: [0], tokens: 64, widthScale: 4, backward: false };
  // Measured: each all-reduce from its last member's arrival to its first member's completion (the
  // summary's reading, what the α-β model predicts); the members' wait for each other is shown apart.
  const ratio = async (costModel?: ReturnType<typeof defaultCostModel>) => {
    const ratios: number[] = [];
    const gemms: number[] = [];
    const waits: number[] = [];
    const owns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await rehearse(PLAN, { ...opts, costModel });
      ratios.push(r.predictedOverMeasured.all_reduce ?? NaN);
      gemms.push(r.predictedOverMeasured.gemm ?? NaN);
      const c = r.collectives.find((x) => x.op === 'all_reduce');
      waits.push(c?.waitUs ?? NaN);
      owns.push(c?.measuredUs ?? NaN);
    }
    const mid = (xs: number[]) => xs.sort((a, b) => a - b)[1];
    return { ratio: mid(ratios), gemm: mid(gemms), wait: mid(waits), own: mid(owns) };
  };
  const byDefault = await ratio();
  const calibrated = await ratio(applyCalibration(defaultCostModel('cpu'), cal, 8));
  const note = 'median of 3 rehearsals (8 ranks, 64 tokens, 1/4 widths); 1 is a perfect prediction';
  rows.push({ name: 'all_reduce predicted ÷ measured, default link', value: byDefault.ratio, unit: '×', note: `${note}; measured ${byDefault.own.toFixed(0)} µs per all-reduce (last member in → first out), members waited ${byDefault.wait.toFixed(0)} µs for each other` });
  rows.push({ name: 'all_reduce predicted ÷ measured, calibrated', value: calibrated.ratio, unit: '×', note: `${note}; measured ${calibrated.own.toFixed(0)} µs, wait ${calibrated.wait.toFixed(0)} µs` });
  const rates = cal.compute?.find((c) => c.ranks === 8);
  rows.push({ name: 'gemm predicted ÷ measured, default rates', value: byDefault.gemm, unit: '×', note: `${note}; CPU defaults 1.5 GFLOP/s, 2 GB/s per rank` });
  rows.push({ name: 'gemm predicted ÷ measured, calibrated', value: calibrated.gemm, unit: '×', note: rates ? `${note}; fitted ${(rates.gemmFlops / 1e9).toFixed(2)} GFLOP/s, ${(rates.memBytesPerSec / 1e9).toFixed(2)} GB/s per rank with 8 at once` : note });
  return rows;
}
