// The rehearsal's time per decoder layer on the GPUs: every example rehearsed as the product runs it
// (widths chosen for the memory budget, fp32) on the group that fits, each layer's span on rank 0 from
// its first op's start to its last op's end, per pass. Each entry also carries what torch_reference.py
// needs to run the same layer with transformers: the config at the rehearsed widths, layers, tokens,
// and whether backward runs.
import { dirname } from 'node:path';
import { scaleWidths } from '../../extension/core/lower';
import { loadModel } from '../../extension/core/models';
import { rehearse } from '../../extension/core/rehearse';
import { nativeExecutor } from '../../extension/runtime';
import { examplePlans, type ExamplePlan } from './examples-plan';
import type { GpuTarget } from './target';

export interface LayerTime {
  layer: number;
  pass: 'forward' | 'backward';
  /** First op's start to last op's end on rank 0, µs. */
  spanUs: number;
  /** Sum of the ops' own times, µs (the span less the gaps between ops). */
  opsUs: number;
  ops: number;
}

export interface TorchLayerSpec {
  file: string;
  modelType: string;
  config: Record<string, unknown>;
  layers: number[];
  tokens: number;
  backward: boolean;
  dtype: 'float32';
}

/** Every example's times; one that fails is a row with its error, and the others still run. */
export async function layerTimes(t: GpuTarget, o: { tokens: number; budgetGiB: number; widthScale?: number }) {
  const rows: Record<string, unknown>[] = [];
  const specs: TorchLayerSpec[] = [];
  for (const ex of examplePlans(t.gpus)) {
    try {
      const { row, spec } = await exampleTimes(t, ex, o);
      rows.push(row);
      specs.push(spec);
    } catch (e) {
      rows.push({ file: ex.file, ranks: ex.ranks, error: (e as Error).message });
    }
  }
  return { rows, specs };
}

async function exampleTimes(t: GpuTarget, ex: ExamplePlan, o: { tokens: number; budgetGiB: number; widthScale?: number }) {
  const executor = nativeExecutor({ childPath: t.childPath, libraryDirs: t.libraryDirs, env: t.env, timeoutMs: 120000 });
  const r = await rehearse(ex.source, { backend: 'cuda', executor, tokens: o.tokens, budgetBytes: o.budgetGiB * 2 ** 30, widthScale: o.widthScale });
  if (r.verdict !== 'match') throw new Error(`${ex.file}: the timed rehearsal's verdict is ${r.verdict}: ${JSON.stringify(r.firstMismatch ?? r.error)}`);
  const times: LayerTime[] = [];
  for (const layer of r.layers)
    for (const pass of ['forward', 'backward'] as const) {
      const ev = r.trace.events.filter((e) => e.source === 'measured' && e.rank === 0 && e.layer === layer && (e.pass ?? 'forward') === pass);
      if (!ev.length) continue;
      const start = Math.min(...ev.map((e) => e.ts));
      times.push({ layer, pass, spanUs: Math.max(...ev.map((e) => e.ts + e.dur)) - start, opsUs: ev.reduce((a, e) => a + e.dur, 0), ops: ev.length });
    }
  if (!times.length) throw new Error(`${ex.file}: no measured event carries a layer`);
  const doc = typeof ex.source === 'string' ? undefined : ex.source.doc;
  const graph = loadModel(doc!.model!.ref, dirname(ex.file));
  const config = scaleWidths(graph.config.raw, graph.config, r.widthScale, r.ranks);
  if (!config) throw new Error(`${ex.file}: widths 1/${r.widthScale} do not scale the config`);
  const backward = times.some((x) => x.pass === 'backward');
  const row = { file: ex.file, ranks: r.ranks, widthScale: r.widthScale, tokens: r.tokens, layers: r.layers, backward, times, notes: r.notes };
  const spec: TorchLayerSpec = { file: ex.file, modelType: graph.config.modelType, config, layers: r.layers, tokens: r.tokens, backward, dtype: 'float32' };
  return { row, spec };
}
