// Lowers a plan file the way the rehearsal does (small widths), with the lowering's own options exposed:
// the reference, its run and routing, then the sharded programs lowered with that routing.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parsePlanSource } from '../../../extension/core/plan';
import { loadModel, graphFromConfig } from '../../../extension/core/models';
import { bindPlan, planInputsFromDocument } from '../../../extension/core/analysis';
import { lower, interpret, compareModules, scaledConfig, layerElements, type LowerOptions, type Lowered, type InterpretResult, type ModuleComparison } from '../../../extension/core/lower';

export interface Pair {
  ref: Lowered;
  refRun: InterpretResult;
  sharded: Lowered;
  run: InterpretResult;
  modules: ModuleComparison[];
  tokens: number;
}

export function lowerPlan(file: string, opts: Partial<Pick<LowerOptions, 'tail' | 'head' | 'loss' | 'backward'>> & { routing?: boolean; layers?: number[]; tokens?: number } = {}): Pair {
  const text = readFileSync(file, 'utf8');
  const doc = parsePlanSource(file, text);
  let graph = loadModel(doc.model!.ref, dirname(resolve(file)));
  const tp = doc.mesh!.dims.find((d) => d.name === 'tp')!;
  const n = tp.size;
  const tokens = opts.tokens ?? 2 * n;
  const cfg = graph.config;
  const layers = opts.layers ?? doc.run?.layers ?? [0];
  const moe = new Set(cfg.moeLayers ?? []);
  const elements = layers.reduce((a, l) => a + layerElements(cfg, moe.has(l), tokens), 0) + (opts.tail ? 2 * cfg.vocabSize * cfg.hiddenSize : 0);
  const sc = scaledConfig(cfg, elements, 1.5e6, 2 * n);
  if (sc.factor > 1) graph = graphFromConfig(sc.raw, 'scaled');
  const ep = doc.expertParallel?.length ? [tp.name] : undefined;
  const bound = bindPlan(graph, planInputsFromDocument(doc, graph, { expertParallel: !!ep }), { dims: [{ name: tp.name, size: n }] }, { expertParallel: ep, run: { batch: 1, seqLen: tokens, mode: opts.backward ? 'training' : 'inference' } });
  const locate = (e: { key: string } | undefined) => (e ? { key: e.key, file } : undefined);
  const common = { graph, layers, tokens, tail: opts.tail, head: opts.head, loss: opts.loss };
  const ref = lower(common);
  const refRun = interpret(ref.programs, { trace: false });
  const sharded = lower({ ...common, sharded: bound, locate, backward: opts.backward, routing: opts.routing ? refRun.routing : undefined });
  const run = interpret(sharded.programs, { routing: refRun.routing });
  return { ref, refRun, sharded, run, modules: compareModules(sharded.outputs, run.buffers, ref.outputs, refRun.buffers, tokens), tokens };
}
