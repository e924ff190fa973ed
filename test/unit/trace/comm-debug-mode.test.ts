// The engine's predicted collectives per module beside CommDebugMode's, from real PyTorch and
// transformers: a tiny Llama sharded by transformers' own tensor-parallel plan (tp=2), forward and
// backward (test/oracle/comm_debug_mode_llama.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTraceFile } from '../../../extension/core/trace/read';
import { commDebugBeside, commDebugModulePath, commDebugTotals } from '../../../extension/core/trace/comm-debug-mode';
import { shapesPayload } from '../../../extension/core/trace/shapes-payload';
import { loadModel } from '../../../extension/core/models';
import { bindPlan, autoPlanInputs } from '../../../extension/core/analysis';
import { parseMesh } from '../../../extension/core/sharding';
import type { CommDebugModule } from '../../../extension/core/trace/types';

const F = 'test/fixtures/trace';

async function dump(): Promise<CommDebugModule[]> {
  const l = await readTraceFile(`${F}/comm_debug_mode_llama_tp2.json`);
  assert.equal(l.kind, 'comm-debug-mode');
  return (l as { modules: CommDebugModule[] }).modules;
}

test('module paths: the root and the top module are the whole model, below them the attribute path', async () => {
  const mods = await dump();
  assert.deepEqual(mods.slice(0, 3).map((m) => [m.fqn, commDebugModulePath(m)]), [['Global', ''], ['LlamaForCausalLM', ''], ['LlamaForCausalLM.model', 'model']]);
  assert.equal(commDebugModulePath(mods.find((m) => m.fqn === 'LlamaForCausalLM.model.layers.1.mlp.down_proj')!), 'model.layers.1.mlp.down_proj');
});

test("the engine predicts, module by module and pass by pass, the collectives transformers' plan issued in PyTorch", async () => {
  const mods = await dump();
  // PyTorch counted 4 all-reduces forward (o_proj, down_proj × 2 layers) and lm_head's all-gather;
  // backward 11 all-reduces (q, k, v, gate, up × 2 layers, and lm_head's input gradient)
  assert.deepEqual(commDebugTotals(mods), { all_reduce: 15, all_gather: 1 });
  const g = loadModel(`${F}/comm_debug_mode_llama_tp2.config.json`);
  const predicted = shapesPayload(bindPlan(g, autoPlanInputs(g), parseMesh('tp=2'))).collectives!;
  const beside = commDebugBeside(mods, predicted);
  assert.equal(beside.length, mods.length);
  for (const [i, b] of beside.entries()) {
    assert.ok(b.same, `${b.fqn}: ours ${JSON.stringify(b.ours)}, CommDebugMode ${JSON.stringify([mods[i].forward, mods[i].backward])}`);
  }
  assert.deepEqual(beside.find((b) => b.fqn === 'LlamaForCausalLM.model.layers.0.self_attn')!.ours, { forward: { all_reduce: 1 }, backward: { all_reduce: 3 } });
  assert.deepEqual(beside[0].ours, { forward: { all_reduce: 4, all_gather: 1 }, backward: { all_reduce: 11 } });
});

test('a plan that leaves lm_head alone disagrees with the dump exactly where it should', async () => {
  const mods = await dump();
  const g = loadModel(`${F}/comm_debug_mode_llama_tp2.config.json`);
  const inputs = autoPlanInputs(g).map((i) => ({ ...i, entries: i.entries.filter((e) => e.key !== 'lm_head') }));
  const beside = commDebugBeside(mods, shapesPayload(bindPlan(g, inputs, parseMesh('tp=2'))).collectives!);
  assert.deepEqual(beside.filter((b) => !b.same).map((b) => b.fqn), ['Global', 'LlamaForCausalLM', 'LlamaForCausalLM.lm_head']);
});
