// The model of a Python plan from its config class: field defaults, __init__ defaults, attribute_map
// aliases and the parent config class when it is in the workspace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../extension/core/editing';
import { parsePythonPlans } from '../../../extension/core/plan';

const PARENT = `from ...configuration_utils import PreTrainedConfig


class LlamaConfig(PreTrainedConfig):
    model_type = "llama"
    base_model_tp_plan = {
        "layers.*.self_attn.q_proj": "colwise",
        "layers.*.self_attn.k_proj": "colwise",
        "layers.*.self_attn.v_proj": "colwise",
        "layers.*.self_attn.o_proj": "rowwise",
    }
    vocab_size: int = 128256
    hidden_size: int = 4096
    intermediate_size: int = 14336
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int = 8
`;
const child = (kv: number) => `from .configuration_llama import LlamaConfig as BaseConfig


class TinyKvConfig(BaseConfig):
    base_model_tp_plan = {
        "layers.*.self_attn.q_proj": "colwise",
        "layers.*.self_attn.k_proj": "colwise",
        "layers.*.self_attn.v_proj": "colwise",
        "layers.*.self_attn.o_proj": "rowwise",
    }
    num_key_value_heads: int = ${kv}
`;
const files: Record<string, string> = { '/w/models/configuration_llama.py': PARENT };
const readFile = (p: string) => files[p];

test('Python sources: classes with their bases and where each base is imported from; attribute_map', () => {
  const doc = parsePythonPlans(child(4) + '\nclass Other(object):\n    attribute_map = {"n_experts": "num_local_experts"}\n', '/w/models/configuration_tiny.py');
  assert.deepEqual(doc.classes?.map((c) => ({ name: c.name, bases: c.bases })), [
    { name: 'TinyKvConfig', bases: [{ name: 'BaseConfig', module: '.configuration_llama', imported: 'LlamaConfig' }] },
    { name: 'Other', bases: [{ name: 'object' }] },
  ]);
  // Each class's own values and attribute_map.
  assert.deepEqual(doc.classes?.map((c) => [c.configValues, c.attributeMap]), [[{ num_key_value_heads: 4 }, undefined], [undefined, { n_experts: 'num_local_experts' }]]);
  assert.deepEqual(doc.attributeMap, { n_experts: 'num_local_experts' });
  assert.equal(doc.configValues?.model_type, undefined, 'model_type comes from the parent');
});

test("a config class inherits its parent's defaults from the workspace and overrides them", () => {
  const t4 = child(4);
  const a = analyzeDocument('/w/models/configuration_tiny.py', t4, { readFile, defaultMesh: 'tp=8' });
  assert.equal(a.modelSource, 'this file’s config class');
  assert.equal(a.graph?.modelType, 'llama');
  assert.equal(a.graph?.config.hiddenSize, 4096, "the parent's hidden_size");
  const kv = a.diagnostics.filter((d) => d.code === 'SS202');
  assert.deepEqual(kv.map((d) => t4.slice(d.range.start, d.range.end)), ['"layers.*.self_attn.k_proj"', '"layers.*.self_attn.v_proj"']);
  assert.match(kv[0].message, /^4 key\/value heads are not divisible by tp=8/);
  const t8 = child(8);
  assert.deepEqual(analyzeDocument('/w/models/configuration_tiny.py', t8, { readFile, defaultMesh: 'tp=8' }).diagnostics.filter((d) => d.severity === 'error'), []);
  // Without the parent in the workspace there is no model_type: the model comes from elsewhere (none here).
  const lone = analyzeDocument('/w/other/configuration_tiny.py', t4, { readFile, defaultMesh: 'tp=8' });
  assert.equal(lone.graph, undefined);
});

test('attribute_map aliases: a field under its alias sets the attribute the architecture reads', () => {
  const src = (n: number) => `class MyMoeConfig(PreTrainedConfig):\n    model_type = "mixtral"\n    attribute_map = {"n_experts": "num_local_experts"}\n    base_model_tp_plan = {\n        "layers.*.mlp.experts.gate_up_proj": "packed_colwise",\n        "layers.*.mlp.experts.down_proj": "rowwise",\n        "layers.*.mlp.experts": "moe_tp_experts",\n    }\n    n_experts: int = ${n}\n`;
  for (const n of [4, 16]) {
    const a = analyzeDocument('/w/configuration_mymoe.py', src(n), { defaultMesh: 'tp=4' });
    assert.equal(a.graph?.config.numExperts, n);
    const gateUp = a.graph!.params.find((p) => p.name.endsWith('layers.0.mlp.experts.gate_up_proj'))!;
    assert.equal(gateUp.shape[0], n);
  }
});

test('transformers 4.x config classes: __init__ defaults', () => {
  const src = `class LlamaConfig(PretrainedConfig):\n    model_type = "llama"\n    base_model_tp_plan = {\n        "layers.*.self_attn.k_proj": "colwise",\n        "layers.*.self_attn.v_proj": "colwise",\n    }\n\n    def __init__(self, vocab_size=32000, hidden_size=2048, num_attention_heads=16, num_key_value_heads=2, **kwargs):\n        super().__init__(**kwargs)\n`;
  const a = analyzeDocument('/w/configuration_old.py', src, { defaultMesh: 'tp=4', transformersVersion: '4.57.0' });
  assert.equal(a.graph?.config.hiddenSize, 2048);
  assert.ok(a.diagnostics.some((d) => d.code === 'SS202' && /^2 key\/value heads are not divisible by tp=4/.test(d.message)));
});

test('a modeling file without config values: the config.json beside it (a config.json named in settings wins), else the picked model', () => {
  const modeling = `class LlamaForCausalLM(LlamaPreTrainedModel):\n    _tp_plan = {"lm_head": "colwise_gather_output"}\n`;
  const cfg = (vocab: number) => JSON.stringify({ model_type: 'llama', vocab_size: vocab, hidden_size: 1024, intermediate_size: 4096, num_hidden_layers: 2, num_attention_heads: 16, num_key_value_heads: 8 });
  const disk: Record<string, string> = { '/m/llama/config.json': cfg(32000), '/m/other/config.json': cfg(32001) };
  const read = (p: string) => disk[p];
  const beside = analyzeDocument('/m/llama/modeling_llama.py', modeling, { readFile: read, defaultMesh: 'tp=8' });
  assert.equal(beside.modelSource, '/m/llama/config.json');
  assert.deepEqual(beside.diagnostics.filter((d) => d.severity === 'error'), []);
  const named = analyzeDocument('/m/llama/modeling_llama.py', modeling, { readFile: read, defaultMesh: 'tp=8', meshChosen: true, configPath: '../other/config.json' });
  assert.equal(named.modelSource, '/m/other/config.json');
  const err = named.diagnostics.find((d) => d.code === 'SS205' && d.severity === 'error')!;
  assert.equal(modeling.slice(err.range.start, err.range.end), '"lm_head"');
  assert.match(err.message, /lm_head \(32001\) must be divisible by the tensor parallel size \(8\)/);
  const picked = analyzeDocument('/m/elsewhere/modeling_llama.py', modeling, { readFile: read, model: 'llama-3-8b' });
  assert.equal(picked.modelSource, 'llama-3-8b');
  assert.equal(picked.graph?.config.vocabSize, 128256);
});
