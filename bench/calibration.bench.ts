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
  // Two readings of "measured": the summary's (each rank's event, waiting for late members included) and the
  // collective's own time (last member in → last member out), which is what the α-β model predicts.
  const ratio = async (costModel?: ReturnType<typeof defaultCostModel>) => {
    const summary: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await rehearse(PLAN, { ...opts, costModel });
      summary.push(r.predictedOverMeasured.all_reduce ?? NaN);
      const ev = r.trace.events.filter((e) => e.name === 'all_reduce');
      const bySeq = new Map<number, { start: number; end: number }>();
      for (const e of ev.filter((x) => x.source === 'measured')) {
        const c = bySeq.get(e.seq!) ?? { start: -Infinity, end: -Infinity };
        bySeq.set(e.seq!, { start: Math.max(c.start, e.ts), end: Math.max(c.end, e.ts + e.dur) });
      }
      const measured = [...bySeq.values()].reduce((a, c) => a + c.end - c.start, 0);
      const predicted = ev.filter((e) => e.source === 'predicted' && e.rank === 0).reduce((a, e) => a + e.dur, 0);
      own.push(predicted / measured);
    }
    const mid = (xs: number[]) => xs.sort((a, b) => a - b)[1];
    return { summary: mid(summary), own: mid(own) };
  };
  const byDefault = await ratio();
  const calibrated = await ratio(applyCalibration(defaultCostModel('cpu'), cal, 8));
  const note = 'median of 3 rehearsals (8 ranks, 64 tokens, 1/4 widths); 1 is a perfect prediction';
  rows.push({ name: 'all_reduce predicted ÷ measured (summary), default link', value: byDefault.summary, unit: '×', note: `${note}; measured includes waiting for late ranks` });
  rows.push({ name: 'all_reduce predicted ÷ measured (summary), calibrated', value: calibrated.summary, unit: '×', note });
  rows.push({ name: 'all_reduce predicted ÷ own time, default link', value: byDefault.own, unit: '×', note: `${note}; own time = last member in → last member out` });
  rows.push({ name: 'all_reduce predicted ÷ own time, calibrated', value: calibrated.own, unit: '×', note });
  return rows;
}
