import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphFromCheckpoint, readCheckpointFolder, readSafetensorsHeader, loadModel, ModelLoadError } from '../../../extension/core/models';

type Entry = { dtype: string; shape: number[] };

/** A safetensors file whose header is real and whose data is a few placeholder bytes (never read). */
function writeSafetensors(path: string, tensors: Record<string, Entry>, headerOverride?: string) {
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const [k, v] of Object.entries(tensors)) {
    const n = v.shape.reduce((a, b) => a * b, 1);
    header[k] = { ...v, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(headerOverride ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(8)]));
}

/** A tiny DeepSeek-V3 checkpoint as published: per-expert MLPs, FP8 scales, an MTP layer past the last one. */
function tinyDeepseek(dir: string) {
  const H = 32, I = 48, Im = 8, E = 4, nh = 2, q = 16, kv = 12, rope = 4, nope = 8, v = 8;
  const config = {
    model_type: 'deepseek_v3', hidden_size: H, intermediate_size: I, moe_intermediate_size: Im, num_hidden_layers: 2, num_attention_heads: nh,
    num_key_value_heads: nh, n_routed_experts: E, n_shared_experts: 1, num_experts_per_tok: 2, first_k_dense_replace: 1, q_lora_rank: q,
    kv_lora_rank: kv, qk_rope_head_dim: rope, qk_nope_head_dim: nope, v_head_dim: v, vocab_size: 64, torch_dtype: 'bfloat16',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const t: Record<string, Entry> = { 'model.embed_tokens.weight': { dtype: 'BF16', shape: [64, H] }, 'model.norm.weight': { dtype: 'BF16', shape: [H] }, 'lm_head.weight': { dtype: 'BF16', shape: [64, H] } };
  for (const l of [0, 1, 2]) {
    const p = `model.layers.${l}`;
    t[`${p}.input_layernorm.weight`] = { dtype: 'BF16', shape: [H] };
    t[`${p}.post_attention_layernorm.weight`] = { dtype: 'BF16', shape: [H] };
    t[`${p}.self_attn.q_a_proj.weight`] = { dtype: 'F8_E4M3', shape: [q, H] };
    t[`${p}.self_attn.q_a_proj.weight_scale_inv`] = { dtype: 'F32', shape: [1, 1] };
    t[`${p}.self_attn.q_a_layernorm.weight`] = { dtype: 'BF16', shape: [q] };
    t[`${p}.self_attn.q_b_proj.weight`] = { dtype: 'F8_E4M3', shape: [nh * (nope + rope), q] };
    t[`${p}.self_attn.kv_a_proj_with_mqa.weight`] = { dtype: 'F8_E4M3', shape: [kv + rope, H] };
    t[`${p}.self_attn.kv_a_layernorm.weight`] = { dtype: 'BF16', shape: [kv] };
    t[`${p}.self_attn.kv_b_proj.weight`] = { dtype: 'F8_E4M3', shape: [nh * (nope + v), kv] };
    t[`${p}.self_attn.o_proj.weight`] = { dtype: 'F8_E4M3', shape: [H, nh * v] };
    if (l === 0) {
      for (const [n, s] of [['gate_proj', [I, H]], ['up_proj', [I, H]], ['down_proj', [H, I]]] as const) t[`${p}.mlp.${n}.weight`] = { dtype: 'F8_E4M3', shape: [...s] };
      continue;
    }
    t[`${p}.mlp.gate.weight`] = { dtype: 'BF16', shape: [E, H] };
    t[`${p}.mlp.gate.e_score_correction_bias`] = { dtype: 'F32', shape: [E] };
    for (let e = 0; e < E; e++) {
      t[`${p}.mlp.experts.${e}.gate_proj.weight`] = { dtype: 'F8_E4M3', shape: [Im, H] };
      t[`${p}.mlp.experts.${e}.up_proj.weight`] = { dtype: 'F8_E4M3', shape: [Im, H] };
      t[`${p}.mlp.experts.${e}.down_proj.weight`] = { dtype: 'F8_E4M3', shape: [H, Im] };
      t[`${p}.mlp.experts.${e}.down_proj.weight_scale_inv`] = { dtype: 'F32', shape: [1, 1] };
    }
    for (const [n, s] of [['gate_proj', [Im, H]], ['up_proj', [Im, H]], ['down_proj', [H, Im]]] as const) t[`${p}.mlp.shared_experts.${n}.weight`] = { dtype: 'F8_E4M3', shape: [...s] };
  }
  t['model.layers.2.enorm.weight'] = { dtype: 'BF16', shape: [H] };
  // Sharded as the hub publishes it: layer 2 (MTP) in its own shard.
  const a: Record<string, Entry> = {}, b: Record<string, Entry> = {};
  for (const [k, v2] of Object.entries(t)) (k.startsWith('model.layers.2.') ? b : a)[k] = v2;
  writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), a);
  writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), b);
  const weightMap: Record<string, string> = {};
  for (const k of Object.keys(a)) weightMap[k] = 'model-00001-of-00002.safetensors';
  for (const k of Object.keys(b)) weightMap[k] = 'model-00002-of-00002.safetensors';
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return { t, E, Im, H };
}

test('DeepSeek-V3 checkpoint: experts fused, MTP layer and FP8 scales set aside with reasons, dtypes from the headers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-dsv3-'));
  const { t, E, Im, H } = tinyDeepseek(dir);
  assert.equal(readCheckpointFolder(dir).length, Object.keys(t).length);
  const g = graphFromCheckpoint(dir);
  assert.equal(g.origin, 'catalog:transformers-5.18.0+safetensors');
  const p = (n: string) => g.params.find((x) => x.name === n);
  assert.deepEqual(p('model.layers.1.mlp.experts.gate_up_proj')?.shape, [E, 2 * Im, H]);
  assert.deepEqual(p('model.layers.1.mlp.experts.down_proj')?.shape, [E, H, Im]);
  assert.equal(p('model.layers.1.mlp.experts.gate_up_proj')?.dtype, 'float8_e4m3fn');
  assert.equal(p('model.layers.0.input_layernorm.weight')?.dtype, 'bfloat16');
  assert.ok(!g.params.some((x) => x.name.startsWith('model.layers.2.')));
  const reasons = new Map(g.setAside!.map((s) => [s.key, s.reason]));
  assert.match(reasons.get('model.layers.2.enorm.weight')!, /past num_hidden_layers=2/);
  assert.match(reasons.get('model.layers.0.self_attn.q_a_proj.weight_scale_inv')!, /FP8/);
  const scales = Object.keys(t).filter((k) => k.endsWith('_scale_inv') && !k.startsWith('model.layers.2.')).length;
  const mtp = Object.keys(t).filter((k) => k.startsWith('model.layers.2.')).length;
  assert.equal(g.setAside!.length, scales + mtp);
  // A config given by the caller wins over the folder's config.json.
  const g3 = graphFromCheckpoint(dir, { ...JSON.parse(JSON.stringify(g.config.raw)), num_hidden_layers: 3 });
  assert.ok(g3.params.some((x) => x.name === 'model.layers.2.mlp.experts.gate_up_proj'));
  assert.ok(!g3.setAside!.some((s) => /past num_hidden_layers/.test(s.reason)));
});

test('Qwen3-MoE per-expert gate/up/down fuse into [E, 2I, H] and [E, H, I]; loadModel reads a folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-qmoe-'));
  const H = 16, Im = 6, E = 3;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen3_moe', hidden_size: H, intermediate_size: 40, moe_intermediate_size: Im, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 8, num_experts: E, num_experts_per_tok: 1, vocab_size: 20 }));
  const t: Record<string, Entry> = { 'model.layers.0.mlp.gate.weight': { dtype: 'BF16', shape: [E, H] } };
  for (let e = 0; e < E; e++) {
    t[`model.layers.0.mlp.experts.${e}.gate_proj.weight`] = { dtype: 'BF16', shape: [Im, H] };
    t[`model.layers.0.mlp.experts.${e}.up_proj.weight`] = { dtype: 'BF16', shape: [Im, H] };
    t[`model.layers.0.mlp.experts.${e}.down_proj.weight`] = { dtype: 'BF16', shape: [H, Im] };
  }
  writeSafetensors(join(dir, 'model.safetensors'), t);
  const g = loadModel(dir);
  assert.deepEqual(g.params.find((x) => x.name === 'model.layers.0.mlp.experts.gate_up_proj')?.shape, [E, 2 * Im, H]);
  assert.deepEqual(g.params.find((x) => x.name === 'model.layers.0.mlp.experts.down_proj')?.shape, [E, H, Im]);
});

test('bad checkpoints are refused with the file and what was expected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bad-'));
  const short = join(dir, 'short.safetensors');
  writeFileSync(short, Buffer.from([1, 2, 3]));
  assert.throws(() => readSafetensorsHeader(short), /short.safetensors:1:1: too short for a safetensors header/);
  const huge = join(dir, 'huge.safetensors');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(1000n);
  writeFileSync(huge, Buffer.concat([len, Buffer.from('{}')]));
  assert.throws(() => readSafetensorsHeader(huge), /huge.safetensors:1:1: header length 1000 does not fit a 10-byte file/);
  const notJson = join(dir, 'nj.safetensors');
  writeSafetensors(notJson, {}, '{"a": ');
  assert.throws(() => readSafetensorsHeader(notJson), /nj.safetensors:1:\d+: header is not JSON/);
  const noShape = join(dir, 'ns.safetensors');
  writeSafetensors(noShape, {}, '{"w": {"dtype": "BF16"}}');
  assert.throws(() => readSafetensorsHeader(noShape), /ns.safetensors:1:\d+: tensor "w" has no valid header entry/);
  // An index naming a shard that is not there, and a malformed index.
  const d2 = mkdtempSync(join(tmpdir(), 'ss-bad2-'));
  writeFileSync(join(d2, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'a.weight': 'model-00001-of-00009.safetensors' } }));
  assert.throws(() => loadModel(d2), (e: Error) => e instanceof ModelLoadError && /names shard "model-00001-of-00009.safetensors", which is not in/.test(e.message));
  writeFileSync(join(d2, 'model.safetensors.index.json'), '{\n "weight_map": {\n  "a": 1,,\n}}');
  assert.throws(() => loadModel(d2), /model.safetensors.index.json:3:\d+:/);
  const empty = mkdtempSync(join(tmpdir(), 'ss-empty-'));
  assert.throws(() => loadModel(empty), /no config.json and no safetensors files/);
});
