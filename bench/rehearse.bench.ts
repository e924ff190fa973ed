// The rehearsal: time from the command to the first measured event (two Llama-3-8B layers, 8 tokens,
// 8 CPU rank threads of the JS interpreter, widths at the default scale), and the cost of tracing as the
// median of interleaved runs with and without events.
import { rehearse } from '../extension/core/rehearse';
import { lower, interpret, scaledConfig, layerElements } from '../extension/core/lower';
import { loadModel, graphFromConfig } from '../extension/core/models';
import { bindPlan, planInputsFromDocument } from '../extension/core/analysis';
import { parsePlanSource } from '../extension/core/plan';
import { readFileSync } from 'node:fs';

const PLAN = 'examples/llama-3-8b/tp.shardplan.json';

export default async function () {
  const firsts: number[] = [];
  let scale = 1;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    let first = 0;
    const r = await rehearse(PLAN, { layers: [0, 1], onEvent: () => (first ||= performance.now() - t0) });
    firsts.push(first);
    scale = r.widthScale;
  }
  const cold = firsts[0];
  firsts.sort((a, b) => a - b);

  // Tracing overhead on the sharded program alone, interleaved so drift hits both sides alike.
  const doc = parsePlanSource(PLAN, readFileSync(PLAN, 'utf8'));
  const full = loadModel('examples/llama-3-8b/config.json');
  const sc = scaledConfig(full.config, 2 * layerElements(full.config, false, 8), 16e6, 16);
  const graph = graphFromConfig(sc.raw);
  const sharded = bindPlan(graph, planInputsFromDocument(doc, graph), { dims: [{ name: 'tp', size: 8 }] }, { run: { batch: 1, seqLen: 8, mode: 'inference' } });
  const { programs } = lower({ graph, sharded, layers: [0, 1], tokens: 8 });
  // Pairs run back to back in alternating order; the overhead is the median of the pairs' ratios, which
  // cancels the drift of a shared machine better than a ratio of medians.
  const on: number[] = [];
  const off: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < 15; i++) {
    const pair: Record<string, number> = {};
    for (const trace of i % 2 ? [true, false] : [false, true]) {
      const t = performance.now();
      interpret(programs, { trace });
      pair[String(trace)] = performance.now() - t;
    }
    on.push(pair.true);
    off.push(pair.false);
    ratios.push(pair.true / pair.false);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const overhead = (med(ratios) - 1) * 100;
  return [
    { name: 'rehearse: command → first event (Llama-3-8B ×2 layers, 8 tokens, 8 CPU ranks)', value: Math.round(firsts[1]), unit: 'ms', budget: 1000, better: 'lower', note: `median of 3; JS interpreter; widths 1/${scale}` },
    { name: 'rehearse: command → first event, first run in the process (cold caches)', value: Math.round(cold), unit: 'ms', budget: 1000, better: 'lower', note: 'model graph, binding and bundle warm-up included' },
    { name: 'rehearse: tracing overhead (median of 15 interleaved pairs)', value: Number(overhead.toFixed(2)), unit: '%', budget: 2, better: 'lower', note: `on ${med(on).toFixed(0)} ms, off ${med(off).toFixed(0)} ms` },
  ];
}
