// Every example's lowered programs through the addon's CPU backend, against the JS interpreter: the
// longest prefix of ops the addon runs (it has no attention or experts op yet), with the same weights
// (generated in JS and passed as data), compared buffer by buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { childPath, addonBuilt } from '../runtime/helpers';
import { runPrograms } from '../../../extension/runtime';
import { lower, interpret, generateBoxes, relError, scaledConfig, layerElements, type RankPrograms } from '../../../extension/core/lower';
import { loadModel, graphFromConfig } from '../../../extension/core/models';
import { bindPlan, planInputsFromDocument } from '../../../extension/core/analysis';
import { parsePlanSource } from '../../../extension/core/plan';

const ADDON_OPS = new Set(['gemm', 'silu_mul', 'add', 'rmsnorm', 'softmax', 'copy', 'slice', 'all_reduce', 'all_gather', 'reduce_scatter']);
const EXAMPLES = ['examples/llama-3-8b/tp.shardplan.json', 'examples/llama-3-8b/tp-sp.shardplan.json', 'examples/mixtral-8x7b/tp.shardplan.json', 'examples/mixtral-8x7b/ep.shardplan.json', 'examples/qwen3-30b-a3b/tp.shardplan.json'];

function programsOf(file: string): RankPrograms {
  const doc = parsePlanSource(file, readFileSync(file, 'utf8'));
  const full = loadModel(doc.model!.ref as string, dirname(file));
  const n = doc.mesh!.dims[0].size;
  const sc = scaledConfig(full.config, layerElements(full.config, false, 8), 1.5e6, 2 * n);
  const graph = graphFromConfig(sc.raw);
  const ep = doc.expertParallel?.length ? doc.expertParallel : undefined;
  const sharded = bindPlan(graph, planInputsFromDocument(doc, graph, { expertParallel: !!ep }), { dims: [{ name: 'tp', size: n }] }, { expertParallel: ep, run: { batch: 1, seqLen: 8, mode: 'inference' } });
  return lower({ graph, sharded, layers: [0], tokens: 8 }).programs;
}

for (const file of EXAMPLES)
  test(`${file}: the addon's CPU backend and the JS interpreter agree on the ops both run`, { skip: !addonBuilt() && 'the addon is not built' }, async () => {
    const full = programsOf(file);
    const shapeOf = (id: string) => full.buffers.find((b) => b.rank === 0 && b.id === id)!.shape;
    // The addon's rmsnorm normalises the whole last dim; per-head norms (q_norm, k_norm) group it by head_dim.
    const runs = (o: RankPrograms['ranks'][0]['ops'][0]) => ADDON_OPS.has(o.op) && (o.op !== 'rmsnorm' || shapeOf(o.ins[1])[0] === shapeOf(o.ins[0]).at(-1));
    const cut = full.ranks[0].ops.findIndex((o) => !runs(o));
    assert.ok(cut > 3, `only ${cut} ops before ${full.ranks[0].ops[cut]?.op}`);
    const prefix: RankPrograms = { ...full, ranks: full.ranks.map((r) => ({ rank: r.rank, ops: r.ops.slice(0, cut) })) };
    const data: Record<string, Float32Array> = {};
    const buffers = prefix.buffers.map((b) => {
      if (!b.init || b.init.kind === 'zeros') return b;
      const v = new Float32Array(b.shape.reduce((x, y) => x * y, 1));
      generateBoxes(b.init.key, b.init.globalShape, b.init.ranges, b.init.scale, v);
      data[`${b.rank}/${b.id}`] = v;
      return { id: b.id, shape: b.shape, dtype: b.dtype, rank: b.rank };
    });
    const outs = prefix.ranks.flatMap((r) => r.ops.flatMap((o) => o.outs.map((id) => `${r.rank}/${id}`)));
    const native = await runPrograms({ ...prefix, buffers }, { backend: 'cpu', timeoutMs: 20000, outputs: outs, data, childPath: childPath() });
    assert.ok(native.report.ok, JSON.stringify(native.report));
    const js = interpret(prefix, { trace: false });
    for (const key of outs) {
      const [rank, id] = [Number(key.slice(0, key.indexOf('/'))), key.slice(key.indexOf('/') + 1)];
      const a = native.outputs[key] as Float32Array;
      assert.ok(a, `no output ${key}`);
      assert.ok(relError(a, js.buffers[rank].get(id)!) < 1e-5, `${key}: ${relError(a, js.buffers[rank].get(id)!)}`);
    }
    // One measured event per op per rank.
    assert.equal(native.events.length, cut * prefix.worldSize);
  });
