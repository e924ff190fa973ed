// Completion and hover beyond the basics: generations, Python plans segment by segment, shardplan values,
// and hovers where ranks hold different shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument, complete, hover } from '../../../extension/core/editing';

const PY = `class LlamaConfig(PretrainedConfig):\n    model_type = "llama"\n    base_model_tp_plan = {\n        "layers.*.self_attn.q_proj": "colwise",\n        "layers.*.": "",\n        "layers.*.self_attn.": "",\n    }\n    num_key_value_heads: int = 8\n`;

test('style names follow the transformers version in use, each with its doc', () => {
  const at = PY.indexOf('"layers.*.": ""') + '"layers.*.": "'.length;
  const v4 = complete(analyzeDocument('/i/1/configuration_llama.py', PY, { transformersVersion: '4.57.1' }), at);
  const v5 = complete(analyzeDocument('/i/2/configuration_llama.py', PY, { transformersVersion: '5.2.0' }), at);
  const names = (xs: { label: string }[]) => xs.map((x) => x.label);
  assert.ok(names(v4).includes('local_packed_rowwise') && !names(v4).includes('packed_colwise'));
  assert.ok(names(v5).includes('packed_colwise') && names(v5).includes('colwise_gather_output') && !names(v5).includes('local_packed_rowwise'));
  for (const c of [...v4, ...v5]) {
    assert.ok((c.documentation ?? '').length > 40, c.label);
    assert.deepEqual(c.range, { start: at, end: at });
  }
});

test('Python patterns segment by segment from the model graph, with shapes in the detail', () => {
  const a = analyzeDocument('/i/3/configuration_llama.py', PY, { defaultMesh: 'tp=8' });
  const k1 = PY.indexOf('"layers.*.":') + '"layers.*.'.length;
  const first = complete(a, k1);
  assert.deepEqual(first.map((c) => c.label), ['self_attn', 'self_attn.', 'mlp', 'mlp.', 'input_layernorm', 'post_attention_layernorm']);
  assert.equal(first.find((c) => c.label === 'self_attn.')!.retrigger, true);
  assert.deepEqual(first[0].range, { start: k1, end: k1 });
  const k2 = PY.indexOf('"layers.*.self_attn.":') + '"layers.*.self_attn.'.length;
  assert.deepEqual(complete(a, k2).map((c) => `${c.label} ${c.detail}`), [
    'q_proj Linear · weight [4096, 4096]',
    'k_proj Linear · weight [1024, 4096]',
    'v_proj Linear · weight [1024, 4096]',
    'o_proj Linear · weight [4096, 4096]',
  ]);
});

test('shardplan values: expert_parallel offers the mesh dims, run fields their choices, model the presets', () => {
  const j = '{"model": "mixtral-8x7b", "mesh": {"dp": 2, "tp": 4}, "expert_parallel": [""], "run": {"dtype": "", "mode": ""}, "plan": {}}';
  const a = analyzeDocument('/i/4/x.shardplan.json', j);
  assert.deepEqual(complete(a, j.indexOf('[""]') + 2).map((c) => [c.label, c.documentation]), [['dp', 'mesh dim of size 2'], ['tp', 'mesh dim of size 4']]);
  assert.deepEqual(complete(a, j.indexOf('"dtype": ""') + '"dtype": "'.length).map((c) => c.label), ['bfloat16', 'float16', 'float32']);
  assert.deepEqual(complete(a, j.indexOf('"mode": ""') + '"mode": "'.length).map((c) => c.label), ['inference', 'training']);
  const m = '{"model": "mix", "mesh": {"tp": 4}, "plan": {}}';
  const presets = complete(analyzeDocument('/i/5/y.shardplan.json', m), m.indexOf('"mix"') + 4);
  assert.ok(presets.some((c) => c.label === 'mixtral-8x7b' && /mistralai\/Mixtral-8x7B/.test(c.documentation!)), presets.map((c) => c.label).join());
  assert.deepEqual(presets[0].range, { start: m.indexOf('"mix"') + 1, end: m.indexOf('"mix"') + 4 });
});

test('hover on a pattern where ranks differ: tp=3 splits 14336 rows as 4779/4779/4778', () => {
  const t = JSON.stringify({ model: 'llama-3-8b', mesh: { tp: 3 }, plan: { 'layers.*.mlp.gate_proj': 'colwise', 'layers.*.mlp.up_proj': 'colwise', 'layers.*.mlp.down_proj': 'rowwise', lm_head: 'colwise_gather_output' } }, null, 2);
  const a = analyzeDocument('/i/6/a.shardplan.json', t);
  const h = hover(a, t.indexOf('"layers.*.mlp.gate_proj"') + 3)!;
  assert.match(h.markdown, /Matches 32 modules on tp=3/);
  assert.match(h.markdown, /`gate_proj\.weight` \[14336, 4096\] Shard\(dim=0\) → rank 0 \[4779, 4096\]; rank 2 \[4778, 4096\]/);
  const head = hover(a, t.indexOf('"lm_head"') + 3)!;
  assert.match(head.markdown, /\[128256, 4096\] Shard\(dim=0\) → rank 0 \[42752, 4096\]; the same on every rank/);
  assert.match(head.markdown, /1× forward all_gather \(1002 MiB\)/);
  assert.equal(hover(a, t.indexOf('"mesh"') + 3), undefined, 'no hover outside plans');
});
