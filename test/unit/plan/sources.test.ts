import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parsePlanSource, parsePythonPlans, parseJsonPlans } from '../../../extension/core/plan';

test('Python: base_model_tp_plan dict with exact key and value ranges; pp plan read as inputs/outputs', () => {
  const text = readFileSync('examples/llama-3-8b/configuration_llama.py', 'utf8');
  const doc = parsePythonPlans(text, 'configuration_llama.py');
  const tp = doc.plans.find((p) => p.name === 'base_model_tp_plan')!;
  assert.equal(tp.kind, 'tp');
  assert.equal(tp.scope, 'base');
  assert.equal(tp.entries.length, 7);
  const q = tp.entries[0];
  assert.equal(q.key, 'layers.*.self_attn.q_proj');
  assert.equal(text.slice(q.keyRange.start, q.keyRange.end), '"layers.*.self_attn.q_proj"');
  assert.equal(text.slice(q.valueRange.start, q.valueRange.end), '"colwise"');
  assert.deepEqual(q.style, { kind: 'name', name: 'colwise' });
  const pp = doc.plans.find((p) => p.kind === 'pp')!;
  assert.deepEqual(pp.entries, []);
  assert.deepEqual(pp.ppEntries![1], { key: 'layers', keyRange: pp.ppEntries![1].keyRange, inputs: ['hidden_states', 'attention_mask'], outputs: ['hidden_states'] });
  assert.equal(doc.configValues?.num_key_value_heads, 8);
  assert.deepEqual(doc.diagnostics, []);
});

test('Python: from_pretrained tp_plan="auto" and tp_size, PyTorch styles with layouts, TPStyle calls', () => {
  const text = readFileSync('examples/mixtral-8x7b/train_tp.py', 'utf8');
  const doc = parsePythonPlans(text, 'train_tp.py');
  assert.ok(doc.plans.some((p) => p.auto));
  assert.deepEqual(doc.mesh?.dims, [{ name: 'tp', size: 8 }]);
  assert.equal(doc.model?.ref, './');
  const custom = doc.plans.find((p) => p.name === 'custom_plan')!;
  assert.equal(custom, undefined, 'custom_plan is not a *_tp_plan name');
  const src = `plan = parallelize_module(model, mesh, {
    "layers.0.attention": PrepareModuleInput(input_layouts=(Shard(1), None), desired_input_layouts=(Replicate(), None)),
    "layers.0.attention.wq": ColwiseParallel(input_layouts=Shard(1), use_local_output=False),
    "norm": SequenceParallel(sequence_dim=2),
})
sp_plan = {"layers.*.self_attn": TPStyle("module", "allgather", input_key="hidden_states"), "x": TPStyle("rowwise", "reduce_scatter")}
`;
  const d2 = parsePythonPlans(src, 'x.py');
  const pm = d2.plans.find((p) => p.name === 'parallelize_plan')!;
  assert.equal(pm.scope, 'root');
  assert.deepEqual(pm.entries[0].style, { kind: 'torch', call: { className: 'PrepareModuleInput', args: [], kwargs: { input_layouts: [{ kind: 'shard', dim: 1 }, null], desired_input_layouts: [{ kind: 'replicate' }, null] } } });
  assert.deepEqual(pm.entries[1].style, { kind: 'torch', call: { className: 'ColwiseParallel', args: [], kwargs: { input_layouts: { kind: 'shard', dim: 1 }, use_local_output: false } } });
  assert.deepEqual(pm.entries[2].style, { kind: 'torch', call: { className: 'SequenceParallel', args: [], kwargs: { sequence_dim: 2 } } });
  const sp = d2.plans.find((p) => p.name === 'sp_plan')!;
  assert.equal(sp.kind, 'sp');
  assert.deepEqual(sp.entries[0].style, { kind: 'tpstyle', styleKind: 'module', comm: 'allgather', args: { input_key: 'hidden_states' } });
});

test('Python: broken code still yields the plans around it, and a located syntax diagnostic', () => {
  const src = 'base_model_tp_plan = {\n  "layers.*.q_proj": "colwise",\n  "layers.*.o_proj": ,\n}\n';
  const doc = parsePythonPlans(src, 'x.py');
  const plan = doc.plans[0];
  assert.equal(plan.entries[0].key, 'layers.*.q_proj');
  assert.ok(doc.diagnostics.length > 0);
  assert.ok(doc.diagnostics.every((d) => d.range.start >= 0 && d.range.end <= src.length + 1));
});

test('shardplan.json: model, mesh, expert parallel, plans and run settings with ranges', () => {
  const text = readFileSync('examples/deepseek-v3/ep.shardplan.json', 'utf8');
  const doc = parsePlanSource('examples/deepseek-v3/ep.shardplan.json', text);
  assert.equal(doc.format, 'shardplan');
  assert.equal(doc.model?.ref, './config.json');
  assert.deepEqual(doc.mesh?.dims, [{ name: 'dp', size: 8 }, { name: 'tp', size: 8 }]);
  assert.deepEqual(doc.expertParallel, ['dp', 'tp']);
  assert.equal(doc.run?.seqLen, 4096);
  const ep = doc.plans.find((p) => p.kind === 'ep')!;
  const e = ep.entries.find((x) => x.key === 'layers.*.mlp.experts')!;
  assert.equal(text.slice(e.valueRange.start, e.valueRange.end), '"ep_dispatch_experts"');
  assert.deepEqual(doc.diagnostics, []);
});

test('config.json with plan keys, a plain pattern → style object, and malformed JSON', () => {
  const cfg = parseJsonPlans(JSON.stringify({ model_type: 'llama', hidden_size: 8, base_model_tp_plan: { 'layers.*.self_attn.q_proj': 'colwise' } }), 'ckpt/config.json');
  assert.equal(cfg.format, 'config-json');
  assert.equal(cfg.plans[0].name, 'base_model_tp_plan');
  assert.equal(cfg.configValues?.hidden_size, 8);
  const plain = parseJsonPlans('{"model.layers.*.mlp.gate_proj": "colwise", "lm_head": "colwise_gather_output"}', 'my-plan.json');
  assert.equal(plain.format, 'json');
  assert.equal(plain.plans[0].entries.length, 2);
  const bad = parseJsonPlans('{"plan": {"a": "colwise",, }}', 'x.shardplan.json');
  assert.equal(bad.diagnostics[0].code, 'SS001');
  assert.equal(bad.diagnostics[0].range.start, 25);
  const badMesh = parseJsonPlans('{"model": "llama-3-8b", "mesh": {"tp": 0}, "plan": "auto"}', 'y.shardplan.json');
  assert.equal(badMesh.diagnostics[0].code, 'SS002');
  assert.ok(badMesh.plans[0].auto);
});
