// Plans given as arguments: from_pretrained(repo_id, tp_plan="auto", tp_size=N) with the model from the
// Hugging Face cache, DistributedConfig(tp_size=N), and parallelize_module with PyTorch styles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { analyzeDocument } from '../../../extension/core/editing';

const hub = mkdtempSync(join(tmpdir(), 'ss-hub-'));
const snapshot = join(hub, 'models--acme--tiny-llama', 'snapshots', '0123abcd');
mkdirSync(snapshot, { recursive: true });
writeFileSync(join(snapshot, 'config.json'), JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: 32000, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 22, num_attention_heads: 32, num_key_value_heads: 4 }));
let n = 0;
const analyze = (text: string) => analyzeDocument(`/calls/${n++}/run.py`, text);

test('from_pretrained(repo id, tp_plan="auto", tp_size=8): the model from the Hugging Face cache; the KV-head error on the tp_size value, once', () => {
  const saved = process.env.HF_HUB_CACHE;
  process.env.HF_HUB_CACHE = hub;
  try {
    const py = (tp: number) => `import torch\nfrom transformers import AutoModelForCausalLM\nmodel = AutoModelForCausalLM.from_pretrained("acme/tiny-llama", tp_plan="auto", tp_size=${tp}, dtype=torch.bfloat16)\n`;
    const a = analyze(py(8));
    assert.equal(a.graph?.config.hiddenSize, 2048, 'the cached config.json');
    assert.deepEqual(a.doc.plans.map((p) => [p.name, p.auto, py(8).slice(p.nameRange!.start, p.nameRange!.end)]), [['tp_plan', true, 'tp_plan']]);
    const kv = a.diagnostics.filter((d) => d.code === 'SS202');
    assert.equal(kv.length, 1);
    assert.equal(py(8).slice(kv[0].range.start, kv[0].range.end), '8');
    assert.equal(kv[0].range.start, py(8).indexOf('tp_size=8') + 'tp_size='.length);
    assert.deepEqual(analyze(py(4)).diagnostics, []);
    const dc = `from transformers.distributed import DistributedConfig\nmodel = AutoModelForCausalLM.from_pretrained("acme/tiny-llama", tp_plan="auto", distributed_config=DistributedConfig(tp_size=8))\n`;
    assert.deepEqual(analyze(dc).diagnostics.map((d) => [d.code, dc.slice(d.range.start, d.range.end)]), [['SS202', '8']]);
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
  }
});

test('parallelize_module with PyTorch styles: pairs checked with the layouts as written', () => {
  const plan = (o: string) => `from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module\nparallelize_module(model, tp_mesh, {\n    "model.layers.*.self_attn.q_proj": ColwiseParallel(),\n    "model.layers.*.self_attn.k_proj": ColwiseParallel(),\n    "model.layers.*.self_attn.v_proj": ColwiseParallel(),\n    "model.layers.*.self_attn.o_proj": ${o},\n})\n`;
  const ok = plan('RowwiseParallel()');
  const a = analyzeDocument('/calls/pm/train.py', ok, { model: 'llama-3-8b', defaultMesh: 'tp=8' });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.equal(a.doc.plans[0].scope, 'root');
  const bad = plan('ColwiseParallel()');
  const d = analyzeDocument('/calls/pm2/train.py', bad, { model: 'llama-3-8b', defaultMesh: 'tp=8' }).diagnostics.filter((x) => x.severity === 'error');
  assert.ok(d.length > 0);
  assert.ok(d.some((x) => bad.slice(x.range.start, x.range.end) === '"model.layers.*.self_attn.o_proj"'), d.map((x) => `${x.code} ${bad.slice(x.range.start, x.range.end)}`).join('; '));
});
