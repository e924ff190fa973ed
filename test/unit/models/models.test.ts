import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, normalizeConfig, graphFromConfig, readSafetensorsHeader, convertCheckpoint, loadCheckpointFolder, ModelLoadError } from '../../../extension/core/models';

const shapeOf = (g: ReturnType<typeof loadModel>, name: string) => g.params.find((p) => p.name === name)?.shape;

test('Llama-3-8B: every name transformers builds, with its shape', () => {
  const g = loadModel('examples/llama-3-8b/config.json');
  assert.equal(g.params.length, 291);
  assert.deepEqual(shapeOf(g, 'model.embed_tokens.weight'), [128256, 4096]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.self_attn.q_proj.weight'), [4096, 4096]);
  assert.deepEqual(shapeOf(g, 'model.layers.31.self_attn.k_proj.weight'), [1024, 4096]);
  assert.deepEqual(shapeOf(g, 'model.layers.7.mlp.gate_proj.weight'), [14336, 4096]);
  assert.deepEqual(shapeOf(g, 'model.layers.7.mlp.down_proj.weight'), [4096, 14336]);
  assert.deepEqual(shapeOf(g, 'model.norm.weight'), [4096]);
  assert.deepEqual(shapeOf(g, 'lm_head.weight'), [128256, 4096]);
  assert.equal(g.modules.get('model.layers.0.self_attn')?.className, 'LlamaAttention');
  assert.ok(g.flow.dense && !g.flow.moe);
});

test('Mixtral fused experts and the attribute_map alias', () => {
  const g = loadModel('mixtral-8x7b');
  assert.deepEqual(shapeOf(g, 'model.layers.0.mlp.experts.gate_up_proj'), [8, 28672, 4096]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.mlp.experts.down_proj'), [8, 4096, 14336]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.mlp.gate.weight'), [8, 4096]);
  assert.equal(g.config.numExperts, 8);
  assert.equal(g.modules.get('model.layers.0.mlp.experts')?.attrs?.packed, 2);
});

test('Qwen3-30B-A3B: per-head norms and experts', () => {
  const g = loadModel('examples/qwen3-30b-a3b/config.json');
  assert.deepEqual(shapeOf(g, 'model.layers.0.self_attn.q_norm.weight'), [128]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.self_attn.k_proj.weight'), [512, 2048]);
  assert.deepEqual(shapeOf(g, 'model.layers.47.mlp.experts.gate_up_proj'), [128, 1536, 2048]);
  assert.equal(g.config.moeLayers?.length, 48);
  // mlp_only_layers makes dense layers.
  const g2 = graphFromConfig({ ...g.config.raw, mlp_only_layers: [0, 1] });
  assert.deepEqual(g2.params.find((p) => p.name === 'model.layers.0.mlp.gate_proj.weight')?.shape, [6144, 2048]);
});

test('DeepSeek-V3: MLA, dense first layers, shared experts', () => {
  const g = loadModel('examples/deepseek-v3/config.json');
  assert.deepEqual(shapeOf(g, 'model.layers.0.mlp.gate_proj.weight'), [18432, 7168]);
  assert.equal(shapeOf(g, 'model.layers.2.mlp.experts.gate_up_proj'), undefined);
  assert.deepEqual(shapeOf(g, 'model.layers.3.mlp.experts.gate_up_proj'), [256, 4096, 7168]);
  assert.deepEqual(shapeOf(g, 'model.layers.60.mlp.experts.down_proj'), [256, 7168, 2048]);
  assert.deepEqual(shapeOf(g, 'model.layers.3.mlp.shared_experts.gate_proj.weight'), [2048, 7168]);
  assert.equal(shapeOf(g, 'model.layers.3.mlp.gate.e_score_correction_bias'), undefined, 'a buffer, not a parameter');
  assert.deepEqual(shapeOf(g, 'model.layers.0.self_attn.kv_a_proj_with_mqa.weight'), [576, 7168]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.self_attn.kv_b_proj.weight'), [32768, 512]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.self_attn.q_b_proj.weight'), [24576, 1536]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.self_attn.o_proj.weight'), [7168, 16384]);
  const noLora = graphFromConfig({ ...g.config.raw, q_lora_rank: null });
  assert.deepEqual(noLora.params.find((p) => p.name === 'model.layers.0.self_attn.q_proj.weight')?.shape, [24576, 7168]);
});

test('gpt-oss: transposed, interleaved experts with biases; sinks', () => {
  const g = loadModel('gpt-oss-20b');
  assert.deepEqual(shapeOf(g, 'model.layers.0.mlp.experts.gate_up_proj'), [32, 2880, 5760]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.mlp.experts.gate_up_proj_bias'), [32, 5760]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.mlp.experts.down_proj'), [32, 2880, 2880]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.mlp.router.bias'), [32]);
  assert.deepEqual(shapeOf(g, 'model.layers.0.self_attn.sinks'), [64]);
  assert.equal(g.modules.get('model.layers.0.mlp.experts')?.attrs?.transposed, true);
});

test('config errors are located and say what was expected', () => {
  assert.throws(() => normalizeConfig({ model_type: 'llama', hidden_size: 'big' }, 'x/config.json'), /x\/config.json: "hidden_size" is not a number/);
  assert.throws(() => loadModel({ model_type: 'bert' }), (e: Error) => e instanceof ModelLoadError && /model_type "bert" has no tensor- or expert-parallel plan in transformers/.test(e.message));
  assert.throws(() => loadModel('no-such-model'), /neither a file, a folder nor a preset/);
  const dir = mkdtempSync(join(tmpdir(), 'ss-'));
  writeFileSync(join(dir, 'config.json'), '{\n  "model_type": "llama",\n  "hidden_size": 4096,,\n}');
  assert.throws(() => loadModel(join(dir, 'config.json')), /config.json:3:\d+: malformed JSON/);
});

function writeSafetensors(path: string, tensors: Record<string, { dtype: string; shape: number[] }>) {
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const [k, v] of Object.entries(tensors)) {
    const n = v.shape.reduce((a, b) => a * b, 1) * (v.dtype === 'F32' ? 4 : v.dtype === 'F8_E4M3' ? 1 : 2);
    header[k] = { ...v, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  // Tensor data is never read: a few bytes stand in for it, so the test files stay tiny.
  writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(16)]));
}

test('safetensors headers: per-expert Mixtral weights fuse; MTP layers and FP8 scales are set aside', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-ckpt-'));
  const t: Record<string, { dtype: string; shape: number[] }> = {
    'model.embed_tokens.weight': { dtype: 'BF16', shape: [32, 16] },
    'model.layers.0.block_sparse_moe.gate.weight': { dtype: 'BF16', shape: [4, 16] },
    'model.layers.1.self_attn.q_proj.weight_scale_inv': { dtype: 'F32', shape: [1, 1] },
    'model.layers.2.self_attn.q_proj.weight': { dtype: 'BF16', shape: [16, 16] },
  };
  for (let e = 0; e < 4; e++) {
    t[`model.layers.0.block_sparse_moe.experts.${e}.w1.weight`] = { dtype: 'BF16', shape: [24, 16] };
    t[`model.layers.0.block_sparse_moe.experts.${e}.w3.weight`] = { dtype: 'BF16', shape: [24, 16] };
    t[`model.layers.0.block_sparse_moe.experts.${e}.w2.weight`] = { dtype: 'BF16', shape: [16, 24] };
  }
  writeSafetensors(join(dir, 'model.safetensors'), t);
  const headers = readSafetensorsHeader(join(dir, 'model.safetensors'));
  assert.equal(headers.length, Object.keys(t).length);
  const c = convertCheckpoint(headers, 2);
  const byName = new Map(c.params.map((p) => [p.name, p]));
  assert.deepEqual(byName.get('model.layers.0.mlp.experts.gate_up_proj')?.shape, [4, 48, 16]);
  assert.deepEqual(byName.get('model.layers.0.mlp.experts.down_proj')?.shape, [4, 16, 24]);
  assert.ok(byName.has('model.layers.0.mlp.gate.weight'));
  assert.deepEqual(c.setAside.map((s) => s.key).sort(), ['model.layers.1.self_attn.q_proj.weight_scale_inv', 'model.layers.2.self_attn.q_proj.weight']);
  // No descriptor: shapes still come from the headers.
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'mystery', num_hidden_layers: 2 }));
  const g = loadCheckpointFolder(dir);
  assert.equal(g.origin, 'safetensors');
  assert.equal(g.modules.get('model.layers.0.mlp.experts')?.kind, 'experts');
  assert.equal(g.modules.get('model.embed_tokens')?.kind, 'embedding');
  // Sharded checkpoints via the index.
  const dir2 = mkdtempSync(join(tmpdir(), 'ss-ckpt2-'));
  mkdirSync(dir2, { recursive: true });
  writeSafetensors(join(dir2, 'model-00001-of-00002.safetensors'), { 'a.weight': { dtype: 'F32', shape: [2, 2] } });
  writeSafetensors(join(dir2, 'model-00002-of-00002.safetensors'), { 'b.weight': { dtype: 'F8_E4M3', shape: [3] } });
  writeFileSync(join(dir2, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors' } }));
  const g2 = loadCheckpointFolder(dir2);
  assert.deepEqual(g2.params.map((p) => [p.name, p.dtype]), [['a.weight', 'float32'], ['b.weight', 'float8_e4m3fn']]);
});
