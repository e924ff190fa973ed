// Every example's lowered programs (a dense and a MoE layer where the model has both, forward and, for
// training plans, backward) run whole on the addon's CPU backend — weights generated in C++ — and on the
// JS interpreter; every op's output on every rank agrees. The interpreter reuses the addon's routing, so
// near-ties cannot send tokens to other experts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { childPath, addonBuilt } from '../runtime/helpers';
import { runPrograms } from '../../../extension/runtime';
import { lower, interpret, relError, scaledConfig, layerElements, type RankPrograms, type Routing } from '../../../extension/core/lower';
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

/** Runs `programs` on the addon and the interpreter and compares every op's outputs on every rank. */
async function agree(programs: RankPrograms, routing?: Routing): Promise<{ ops: number; routing: Routing }> {
  const outs = [...new Set(programs.ranks.flatMap((r) => r.ops.flatMap((o) => o.outs.map((id) => `${r.rank}/${id}`))))];
  const wire = routing ? Object.fromEntries([...routing].map(([k, v]) => [k, v])) : undefined;
  const native = await runPrograms(programs, { backend: 'cpu', timeoutMs: 60000, outputs: outs, routing: wire, childPath: childPath() });
  assert.ok(native.report.ok, JSON.stringify(native.report));
  // The addon's routing, for the interpreter (and for the sharded run when this is the reference).
  const made: Routing = routing ?? new Map();
  if (!routing)
    for (const op of programs.ranks[0].ops)
      if (op.op === 'topk' && typeof op.attrs?.routingKey === 'string')
        made.set(op.attrs.routingKey, { idx: native.outputs[`0/${op.outs[0]}`] as Float32Array, weights: native.outputs[`0/${op.outs[1]}`] as Float32Array });
  const js = interpret(programs, { trace: false, routing: new Map(made) });
  for (const r of programs.ranks)
    r.ops.forEach((op, i) => {
      for (const id of op.outs) {
        const a = native.outputs[`${r.rank}/${id}`] as Float32Array;
        const b = js.buffers[r.rank].get(id)!;
        assert.ok(a && b, `rank ${r.rank} op ${i} (${op.op}): output ${id} missing`);
        const err = relError(a, b);
        assert.ok(err < 1e-5, `rank ${r.rank} op ${i} (${op.op} ${op.label.module ?? ''}): ${id} differs by ${err}`);
      }
    });
  const ops = programs.ranks.reduce((a, r) => a + r.ops.length, 0);
  assert.equal(native.events.length, ops, 'one event per op per rank');
  return { ops, routing: made };
}

for (const file of EXAMPLES)
  test(`${file}: the addon and the JS interpreter agree op by op (reference and sharded programs)`, { skip: !addonBuilt() && 'the addon is not built' }, async () => {
    const { sharded, reference } = programsOf(file);
    const kinds = new Set(sharded.ranks.flatMap((r) => r.ops.map((o) => o.op)));
    assert.ok(kinds.has('attention') && kinds.has('gemm'), [...kinds].join(', '));
    const ref = await agree(reference);
    const run = await agree(sharded, ref.routing.size ? ref.routing : undefined);
    assert.ok(run.ops > 20 * sharded.worldSize);
  });
