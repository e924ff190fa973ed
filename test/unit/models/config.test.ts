import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeConfig, graphFromConfig, loadModel, loadConfigFile, findPreset, PRESETS, plansOf, ModelLoadError } from '../../../extension/core/models';

test('attribute_map aliases: either name of a pair sets the value', () => {
  // Mixtral: num_experts is an alias of num_local_experts.
  assert.equal(normalizeConfig({ model_type: 'mixtral', num_experts: 4 }).numExperts, 4);
  assert.equal(normalizeConfig({ model_type: 'mixtral', num_local_experts: 6 }).numExperts, 6);
  assert.equal(normalizeConfig({ model_type: 'mixtral' }).numExperts, 8, 'class default');
  // Qwen3-MoE keeps num_experts in config.json.
  assert.equal(normalizeConfig({ model_type: 'qwen3_moe', num_experts: 60 }).numExperts, 60);
  assert.equal(normalizeConfig({ model_type: 'qwen3_moe', num_local_experts: 16 }).numExperts, 16);
  // DeepSeek-V3: n_routed_experts, read as num_local_experts.
  assert.equal(normalizeConfig({ model_type: 'deepseek_v3', n_routed_experts: 64 }).numExperts, 64);
  assert.equal(normalizeConfig({ model_type: 'deepseek_v3', num_local_experts: 32 }).numExperts, 32);
  // gpt-oss: num_experts → num_local_experts.
  assert.equal(normalizeConfig({ model_type: 'gpt_oss', num_experts: 32 }).numExperts, 32);
  const g = graphFromConfig({ model_type: 'mixtral', num_experts: 4, num_hidden_layers: 1, hidden_size: 64, intermediate_size: 96, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 100 });
  assert.deepEqual(g.params.find((p) => p.name === 'model.layers.0.mlp.experts.gate_up_proj')?.shape, [4, 192, 64]);
});

test('class defaults fill missing keys; head_dim defaults to H/nh; dtype from dtype or torch_dtype', () => {
  const c = normalizeConfig({ model_type: 'llama' });
  assert.equal(c.hiddenSize, 4096);
  assert.equal(c.intermediateSize, 11008);
  assert.equal(c.numKvHeads, 32, 'num_key_value_heads defaults to num_attention_heads');
  assert.equal(c.headDim, 128);
  assert.equal(normalizeConfig({ model_type: 'llama', hidden_size: 3072, num_attention_heads: 24 }).headDim, 128);
  assert.equal(normalizeConfig({ model_type: 'qwen3', hidden_size: 2048, num_attention_heads: 16, head_dim: 256 }).headDim, 256);
  assert.equal(normalizeConfig({ model_type: 'llama', torch_dtype: 'float16' }).dtype, 'float16');
  assert.equal(normalizeConfig({ model_type: 'llama', dtype: 'float32', torch_dtype: 'float16' }).dtype, 'float32', 'transformers 5 writes dtype');
  assert.equal(normalizeConfig({ model_type: 'llama', tie_word_embeddings: true }).tieWordEmbeddings, true);
  const tied = graphFromConfig({ model_type: 'llama', num_hidden_layers: 1, tie_word_embeddings: true });
  assert.equal(tied.modules.get('lm_head')?.attrs?.tied, true);
  assert.ok(tied.params.some((p) => p.name === 'lm_head.weight'), 'lm_head is in the tree even when tied');
});

test('MoE layer sets: Qwen3-MoE decoder_sparse_step and mlp_only_layers, DeepSeek-V3 first_k_dense_replace, Mixtral all', () => {
  assert.deepEqual(normalizeConfig({ model_type: 'qwen3_moe', num_hidden_layers: 8, decoder_sparse_step: 2 }).moeLayers, [1, 3, 5, 7]);
  assert.deepEqual(normalizeConfig({ model_type: 'qwen3_moe', num_hidden_layers: 6, decoder_sparse_step: 1, mlp_only_layers: [0, 5] }).moeLayers, [1, 2, 3, 4]);
  assert.deepEqual(normalizeConfig({ model_type: 'deepseek_v3', num_hidden_layers: 6, first_k_dense_replace: 2 }).moeLayers, [2, 3, 4, 5]);
  assert.deepEqual(normalizeConfig({ model_type: 'mixtral', num_hidden_layers: 3 }).moeLayers, [0, 1, 2]);
  const g = graphFromConfig({ model_type: 'qwen3_moe', num_hidden_layers: 4, decoder_sparse_step: 2, hidden_size: 64, intermediate_size: 96, moe_intermediate_size: 16, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, num_experts: 4, vocab_size: 50 });
  assert.equal(g.modules.get('model.layers.0.mlp')?.kind, 'mlp');
  assert.equal(g.modules.get('model.layers.1.mlp')?.kind, 'moe');
  assert.deepEqual(g.params.find((p) => p.name === 'model.layers.0.mlp.down_proj.weight')?.shape, [64, 96]);
  assert.deepEqual(g.params.find((p) => p.name === 'model.layers.1.mlp.experts.down_proj')?.shape, [4, 64, 16]);
  assert.ok(g.flow.dense && g.flow.moe, 'a model with both kinds of layer has both flows');
});

test('missing or mistyped required values name the key and the file', () => {
  assert.throws(() => normalizeConfig({ model_type: 'mystery' }, 'm/config.json'), /^Error: m\/config.json: "hidden_size" is missing; expected a number$|m\/config.json: "hidden_size" is missing; expected a number/);
  assert.throws(() => normalizeConfig({ model_type: 'llama', vocab_size: '32000' }, 'a.json'), /a.json: "vocab_size" is not a number \("32000"\)/);
  assert.throws(() => normalizeConfig({ model_type: 'deepseek_v3', kv_lora_rank: 'x' }, 'd.json'), /d.json: "kv_lora_rank" is not a number/);
});

test('loadConfigFile: located syntax errors, objects only, unreadable files named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cfg-'));
  const bad = join(dir, 'config.json');
  writeFileSync(bad, '{\n  "model_type": "llama"\n  "hidden_size": 4096\n}');
  assert.throws(() => loadConfigFile(bad), (e: Error) => e.message.startsWith(`${bad}:3:3:`));
  const arr = join(dir, 'array.json');
  writeFileSync(arr, '[1, 2]');
  assert.throws(() => loadConfigFile(arr), (e: Error) => e instanceof ModelLoadError && e.message === `${arr}: expected a JSON object`);
  assert.throws(() => loadConfigFile(join(dir, 'absent.json')), /absent.json:1:1: no such file/);
  const good = join(dir, 'good.json');
  writeFileSync(good, '{"model_type": "qwen2", "num_hidden_layers": 2}');
  assert.equal(loadConfigFile(good).num_hidden_layers, 2);
  // A relative path resolves against baseDir (the folder of the plan that names it).
  assert.equal(loadModel('./good.json', dir).params.length, 3 + 2 * (6 + 1 + 3 + 2), 'qwen2: q/k/v weights and biases, o, MLP, two norms');
});

test('presets: by short name and by repo id, each builds', () => {
  assert.equal(findPreset('meta-llama/Meta-Llama-3-8B')?.name, 'llama-3-8b');
  assert.equal(findPreset('Qwen/Qwen3-30B-A3B')?.name, 'qwen3-30b-a3b');
  assert.equal(findPreset('Mixtral-8x7B-v0.1')?.name, 'mixtral-8x7b');
  assert.equal(findPreset('gpt-oss-120b')?.config.num_local_experts, 128);
  const counts: Record<string, number> = {};
  for (const p of PRESETS) counts[p.name] = loadModel(p.name).params.length;
  // Llama: 2 + 32 × 9 + 1; Qwen3-8B adds q_norm/k_norm; Qwen2 adds q/k/v biases.
  assert.equal(counts['llama-3-8b'], 291);
  assert.equal(counts['qwen3-8b'], 3 + 36 * 11);
  assert.equal(counts['qwen2-7b'], 3 + 28 * 12);
  assert.equal(counts['mistral-7b'], 291);
  // Mixtral MoE layer: q,k,v,o + gate + 2 experts tensors + 2 norms.
  assert.equal(counts['mixtral-8x7b'], 3 + 32 * 9);
  // gpt-oss layer: q,k,v,o weights+biases, sinks, router weight+bias, 4 expert tensors, 2 norms.
  assert.equal(counts['gpt-oss-20b'], 3 + 24 * 17);
});

test('DeepSeek-V3 builds 61 layers with a few parameters each; the modules map holds every node', () => {
  const g = loadModel('deepseek-v3');
  assert.equal(g.config.numLayers, 61);
  // Dense layer: 5 MLA linears + 2 MLA norms + 3 MLP + 2 norms; MoE layer: router + 2 experts + 3 shared.
  assert.equal(g.params.length, 3 + 3 * 12 + 58 * (7 + 1 + 2 + 3 + 2));
  for (const p of g.params) {
    const owner = p.name.slice(0, p.name.length - p.local.length - 1);
    assert.ok(g.modules.get(owner)?.params.includes(p), p.name);
  }
  assert.equal(g.modules.get('model.layers.3.mlp.gate')?.kind, 'router');
  assert.equal(g.modules.get('model.layers.3.mlp.shared_experts')?.className, 'DeepseekV3MLP');
});

test('activation flow: dense order as transformers runs it; MoE routes then combines', () => {
  const g = loadModel('llama-3-8b');
  assert.deepEqual(g.flow.dense!.map((s) => `${s.op}:${s.module}`), [
    'norm:input_layernorm', 'module_boundary:self_attn', 'linear:self_attn.q_proj', 'linear:self_attn.k_proj', 'linear:self_attn.v_proj',
    'attention_core:self_attn', 'linear:self_attn.o_proj', 'module_boundary:self_attn', 'residual_add:', 'norm:post_attention_layernorm',
    'module_boundary:mlp', 'linear:mlp.gate_proj', 'linear:mlp.up_proj', 'act_mul:mlp', 'linear:mlp.down_proj', 'module_boundary:mlp', 'residual_add:',
  ]);
  const q = g.flow.dense!.find((s) => s.module === 'self_attn.k_proj')!;
  assert.deepEqual(q.outputShape, ['B', 'S', 1024]);
  assert.deepEqual(g.flow.tail.at(-1)!.outputShape, ['B', 'S', 128256]);
  const d = loadModel('deepseek-v3');
  const moe = d.flow.moe!.map((s) => s.module);
  assert.ok(moe.indexOf('mlp.gate') < moe.indexOf('mlp.experts'));
  assert.ok(moe.includes('mlp.shared_experts.down_proj'));
  assert.deepEqual(d.flow.moe!.find((s) => s.op === 'router')!.outputShape, ['T', 256]);
  // Every step reads only what an earlier step (or the layer input) wrote.
  for (const flow of [g.flow.dense!, d.flow.dense!, d.flow.moe!]) {
    const seen = new Set(['x']);
    for (const s of flow) {
      for (const i of s.inputs) assert.ok(seen.has(i), `${s.module} reads ${i} before it is written`);
      seen.add(s.output);
    }
  }
});

test("transformers' own plans, per recorded version, from the catalog", () => {
  const l = plansOf(loadModel('llama-3-8b'))!;
  assert.equal(l.version, '5.18.0');
  assert.equal(l.tp!['layers.*.self_attn.o_proj'], 'rowwise');
  assert.deepEqual(l.classTp, { lm_head: 'colwise_gather_output' });
  assert.equal(l.epReplacesTp, true);
  assert.equal(plansOf(loadModel('qwen3-30b-a3b'))!.ep!['layers.*.mlp.gate'], 'ep_router');
  // DeepSeek-V3's base_model_ep_plan is recorded (it was missing from the hand transcription).
  const ds = plansOf(loadModel('deepseek-v3'))!;
  assert.equal(ds.tp!['layers.*.mlp.experts.gate_up_proj'], 'packed_colwise');
  assert.equal(ds.ep!['layers.*.mlp.experts.gate_up_proj'], 'grouped_gemm');
  // Tied word embeddings add transformers' embed_tokens entry.
  assert.equal(plansOf(loadModel({ ...findPreset('llama-3-8b')!.config, tie_word_embeddings: true }))!.tp!.embed_tokens, 'embedding_rowwise');
  assert.equal(plansOf(loadModel('llama-3-8b'))!.tp!.embed_tokens, undefined);
  // transformers 4.57's Mixtral: per-expert modules under block_sparse_moe.
  const old = plansOf(loadModel('mixtral-8x7b', undefined, { transformers: '4.57.6' }))!;
  assert.equal(old.version, '4.57.6');
  assert.ok(Object.keys(old.tp!).some((k) => k.startsWith('layers.*.block_sparse_moe.experts.*.')), Object.keys(old.tp!).join(', '));
});

test('property: shapes follow the config for any small llama/qwen3/mixtral config', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('llama', 'qwen3', 'mixtral'),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 1, max: 6 }),
      (type, layers, kv, group, I, E) => {
        const nh = kv * group;
        const hd = 8;
        const H = nh * hd;
        const raw = { model_type: type, num_hidden_layers: layers, num_attention_heads: nh, num_key_value_heads: kv, hidden_size: H, head_dim: hd, intermediate_size: I, vocab_size: 97, num_local_experts: E, num_experts_per_tok: 1 };
        const g = graphFromConfig(raw);
        const s = (n: string) => g.params.find((p) => p.name === n)?.shape;
        assert.deepEqual(s(`model.layers.${layers - 1}.self_attn.k_proj.weight`), [kv * hd, H]);
        assert.deepEqual(s('lm_head.weight'), [97, H]);
        if (type === 'mixtral') assert.deepEqual(s('model.layers.0.mlp.experts.gate_up_proj'), [E, 2 * I, H]);
        else assert.deepEqual(s('model.layers.0.mlp.up_proj.weight'), [I, H]);
        assert.equal(new Set(g.params.map((p) => p.name)).size, g.params.length, 'names are unique');
      },
    ),
    { numRuns: 60 },
  );
});
