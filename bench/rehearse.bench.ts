// The rehearsal on the native addon, as `shardscope run` does it: time from the command to the first
// measured event (two Llama-3-8B layers, 8 tokens, 8 CPU rank threads in the runtime child, widths as the
// rehearsal chooses them), the first run in the process (cold) and later runs (warm); and the cost of
// tracing as the median of interleaved pairs of runs with and without events, through the addon.
import { rehearse } from '../extension/core/rehearse';
import { nativeExecutor, nativeUnavailable, runPrograms, startRuntimeChild } from '../extension/runtime';
import { lower } from '../extension/core/lower';
import { loadModel } from '../extension/core/models';
import { bindPlan, planInputsFromDocument } from '../extension/core/analysis';
import { parsePlanSource } from '../extension/core/plan';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './measure';

const PLAN = 'examples/llama-3-8b/tp.shardplan.json';
const CHILD = join(process.cwd(), 'dist', 'runtime-child.js');
// Runs on 2 cores vary by several percent either way: enough pairs that their median settles.
const PAIRS = 21;

export default async function () {
  const why = nativeUnavailable(CHILD);
  if (why) return [{ name: 'rehearse on the addon', value: NaN, unit: '', note: `skipped: ${why}` }];

  // Command → first event. Inference only (no backward), the layers' forward as the plan runs it.
  const firsts: number[] = [];
  const totals: number[] = [];
  let scale = 1;
  let verdict = '';
  for (let i = 0; i < 3; i++) {
    // As `shardscope run` does: the executor (which starts the runtime child at once) made with the command.
    const t0 = performance.now();
    const executor = nativeExecutor({ childPath: CHILD });
    let first = 0;
    const r = await rehearse(PLAN, { executor, layers: [0, 1], tokens: 8, backward: false, onEvent: () => (first ||= performance.now() - t0) });
    totals.push(performance.now() - t0);
    firsts.push(first);
    scale = r.widthScale;
    verdict = r.verdict;
  }
  const cold = firsts[0];
  const warm = median(firsts.slice(1));

  // Tracing overhead: the sharded programs alone through the child, pairs in alternating order; the
  // overhead is the median of the pairs' ratios (drift on a shared machine hits both sides of a pair).
  // Each run gets a child started and ready beforehand, so process start and addon load (which tracing
  // does not change) stay out of the timed span.
  const doc = parsePlanSource(PLAN, readFileSync(PLAN, 'utf8'));
  const graph = loadModel('examples/llama-3-8b/config.json');
  const sharded = bindPlan(graph, planInputsFromDocument(doc, graph), { dims: [{ name: 'tp', size: 8 }] }, { run: { batch: 1, seqLen: 8, mode: 'inference' } });
  const { programs } = lower({ graph, sharded, layers: [0, 1], tokens: 8 });
  const readyChild = async () => {
    const child = startRuntimeChild({ childPath: CHILD });
    while (!child.ready()) await new Promise((r) => setTimeout(r, 5));
    return child;
  };
  const on: number[] = [];
  const off: number[] = [];
  const ratios: number[] = [];
  let events = 0;
  for (let i = 0; i < PAIRS; i++) {
    const pair: Record<string, number> = {};
    for (const trace of i % 2 ? [true, false] : [false, true]) {
      const child = await readyChild();
      const t = performance.now();
      const res = await runPrograms(programs, { child, trace, onEvent: () => events++ });
      if (!res.report.ok) throw new Error(res.report.message);
      pair[String(trace)] = performance.now() - t;
    }
    on.push(pair.true);
    off.push(pair.false);
    ratios.push(pair.true / pair.false);
  }
  const sorted = ratios.slice().sort((a, b) => a - b);
  const quartile = (q: number) => ((sorted[Math.floor(q * (sorted.length - 1))] - 1) * 100).toFixed(1);
  const overhead = (median(ratios) - 1) * 100;
  const width = scale === 1 ? 'real widths' : `widths 1/${scale}`;
  return [
    { name: 'rehearse: command → first event (Llama-3-8B ×2 layers, 8 tokens, 8 CPU ranks, addon in the child)', value: Math.round(warm), unit: 'ms', budget: 1000, better: 'lower', note: `median of the warm runs; ${width}; whole rehearsal ${(median(totals) / 1000).toFixed(1)} s, ${verdict}` },
    { name: 'rehearse: command → first event, first run in the process (cold)', value: Math.round(cold), unit: 'ms', budget: 1000, better: 'lower', note: 'child process start, addon load, program parse included' },
    { name: `rehearse: tracing overhead on the addon (median of ${PAIRS} interleaved pairs)`, value: Number(overhead.toFixed(2)), unit: '%', budget: 2, better: 'lower', note: `sharded run of 2 real-width layers: on ${median(on).toFixed(0)} ms, off ${median(off).toFixed(0)} ms; pairs' middle half ${quartile(0.25)}% to ${quartile(0.75)}%; ${events / PAIRS} events streamed per run` },
  ];
}
