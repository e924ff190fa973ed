// Shared by the rehearsal tests on the addon: the example plans and the programs a rehearsal of one runs.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { lower, scaledConfig, layerElements, type RankPrograms } from '../../../extension/core/lower';
import { loadModel, graphFromConfig } from '../../../extension/core/models';
import { bindPlan, planInputsFromDocument } from '../../../extension/core/analysis';
import { parsePlanSource } from '../../../extension/core/plan';
import { defaultLayers } from '../../../extension/core/rehearse';

export const EXAMPLES = [
  'examples/llama-3-8b/tp.shardplan.json',
  'examples/llama-3-8b/tp-sp.shardplan.json',
  'examples/mixtral-8x7b/tp.shardplan.json',
  'examples/mixtral-8x7b/ep.shardplan.json',
  'examples/qwen3-30b-a3b/tp.shardplan.json',
  'examples/deepseek-v3/ep.shardplan.json',
];

/** The programs a rehearsal of `file` runs (its tp group; small widths keep the interpreter quick). */
export function programsOf(file: string, tokens = 8): { sharded: RankPrograms; reference: RankPrograms } {
  const doc = parsePlanSource(file, readFileSync(file, 'utf8'));
  const full = loadModel(doc.model!.ref as string, dirname(file));
  const dims = doc.mesh!.dims;
  const tp = dims.find((d) => d.name === 'tp') ?? dims[0];
  const n = tp.size;
  const moe = new Set(full.config.moeLayers ?? []);
  const layers = defaultLayers(full.config.numLayers, moe);
  const sc = scaledConfig(full.config, layers.reduce((a, l) => a + layerElements(full.config, moe.has(l), tokens), 0), 1.5e6, 2 * n);
  const graph = graphFromConfig(sc.raw);
  const ep = doc.expertParallel?.length ? [tp.name] : undefined;
  const sharded = bindPlan(graph, planInputsFromDocument(doc, graph, { expertParallel: !!ep }), { dims: [{ name: tp.name, size: n }] }, { expertParallel: ep, run: { batch: 1, seqLen: tokens, mode: doc.run?.mode ?? 'inference' } });
  return {
    sharded: lower({ graph, sharded, layers, tokens, backward: doc.run?.mode === 'training' }).programs,
    reference: lower({ graph, layers, tokens }).programs,
  };
}
