// Built-in configs of public checkpoints (config.json values), addressable by short name or repo id.
// Provenance (from the research notes' checkpoint_examples, kept per preset in `provenance`): only the
// Qwen3-30B-A3B values were cross-checked against a config.json; the others are the published values
// as recalled, to verify against the checkpoint (Mistral-7B has no entry in the notes at all).

const llama3_8b = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
  num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256, max_position_embeddings: 8192, rms_norm_eps: 1e-5,
  rope_theta: 500000.0, tie_word_embeddings: false, torch_dtype: 'bfloat16', hidden_act: 'silu', bos_token_id: 128000, eos_token_id: 128001,
};
const mixtral_8x7b = {
  architectures: ['MixtralForCausalLM'], model_type: 'mixtral', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
  num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 32000, max_position_embeddings: 32768, rms_norm_eps: 1e-5,
  rope_theta: 1000000.0, num_local_experts: 8, num_experts_per_tok: 2, tie_word_embeddings: false, torch_dtype: 'bfloat16', hidden_act: 'silu',
  router_aux_loss_coef: 0.02, sliding_window: null,
};
const qwen3_8b = {
  architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 4096, intermediate_size: 12288, num_hidden_layers: 36,
  num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, vocab_size: 151936, max_position_embeddings: 40960, rms_norm_eps: 1e-6,
  rope_theta: 1000000, tie_word_embeddings: false, torch_dtype: 'bfloat16', hidden_act: 'silu',
};
const qwen3_30b_a3b = {
  architectures: ['Qwen3MoeForCausalLM'], model_type: 'qwen3_moe', hidden_size: 2048, intermediate_size: 6144, moe_intermediate_size: 768,
  num_hidden_layers: 48, num_attention_heads: 32, num_key_value_heads: 4, head_dim: 128, vocab_size: 151936, num_experts: 128,
  num_experts_per_tok: 8, decoder_sparse_step: 1, mlp_only_layers: [], norm_topk_prob: true, max_position_embeddings: 40960,
  rms_norm_eps: 1e-6, rope_theta: 1000000.0, tie_word_embeddings: false, torch_dtype: 'bfloat16', hidden_act: 'silu',
};
const deepseek_v3 = {
  architectures: ['DeepseekV3ForCausalLM'], model_type: 'deepseek_v3', hidden_size: 7168, intermediate_size: 18432, moe_intermediate_size: 2048,
  num_hidden_layers: 61, num_attention_heads: 128, num_key_value_heads: 128, n_shared_experts: 1, n_routed_experts: 256, routed_scaling_factor: 2.5,
  kv_lora_rank: 512, q_lora_rank: 1536, qk_rope_head_dim: 64, v_head_dim: 128, qk_nope_head_dim: 128, n_group: 8, topk_group: 4,
  num_experts_per_tok: 8, first_k_dense_replace: 3, moe_layer_freq: 1, norm_topk_prob: true, scoring_func: 'sigmoid', vocab_size: 129280,
  max_position_embeddings: 163840, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false, torch_dtype: 'bfloat16', hidden_act: 'silu',
  num_nextn_predict_layers: 1,
  rope_scaling: { type: 'yarn', factor: 40, original_max_position_embeddings: 4096, beta_fast: 32, beta_slow: 1, mscale: 1.0, mscale_all_dim: 1.0 },
};
const qwen2_7b = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28,
  num_attention_heads: 28, num_key_value_heads: 4, vocab_size: 152064, max_position_embeddings: 131072, rms_norm_eps: 1e-6,
  rope_theta: 1000000.0, tie_word_embeddings: false, torch_dtype: 'bfloat16', hidden_act: 'silu',
};
const gptoss = (layers: number, experts: number) => ({
  architectures: ['GptOssForCausalLM'], model_type: 'gpt_oss', hidden_size: 2880, intermediate_size: 2880, num_hidden_layers: layers,
  num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, vocab_size: 201088, num_local_experts: experts, num_experts_per_tok: 4,
  sliding_window: 128, max_position_embeddings: 131072, rms_norm_eps: 1e-5, attention_bias: true, tie_word_embeddings: false, torch_dtype: 'bfloat16',
});
const mistral_7b = {
  architectures: ['MistralForCausalLM'], model_type: 'mistral', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
  num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 32768, max_position_embeddings: 32768, rms_norm_eps: 1e-5,
  rope_theta: 1000000.0, tie_word_embeddings: false, torch_dtype: 'bfloat16', hidden_act: 'silu',
};

export interface Preset {
  name: string;
  repo: string;
  config: Record<string, unknown>;
  /** Where the values come from, and how far they are checked. */
  provenance: string;
}

const RECALLED = 'public config.json values as recalled; not yet verified against the checkpoint';

export const PRESETS: Preset[] = [
  { name: 'llama-3-8b', repo: 'meta-llama/Meta-Llama-3-8B', config: llama3_8b, provenance: RECALLED },
  { name: 'mixtral-8x7b', repo: 'mistralai/Mixtral-8x7B-v0.1', config: mixtral_8x7b, provenance: RECALLED },
  { name: 'qwen3-8b', repo: 'Qwen/Qwen3-8B', config: qwen3_8b, provenance: RECALLED },
  { name: 'qwen3-30b-a3b', repo: 'Qwen/Qwen3-30B-A3B', config: qwen3_30b_a3b, provenance: 'cross-checked against a Qwen3-30B-A3B-derived config.json and a Megatron launch script' },
  { name: 'deepseek-v3', repo: 'deepseek-ai/DeepSeek-V3', config: deepseek_v3, provenance: RECALLED },
  { name: 'qwen2-7b', repo: 'Qwen/Qwen2-7B', config: qwen2_7b, provenance: RECALLED },
  { name: 'gpt-oss-20b', repo: 'openai/gpt-oss-20b', config: gptoss(24, 32), provenance: RECALLED },
  { name: 'gpt-oss-120b', repo: 'openai/gpt-oss-120b', config: gptoss(36, 128), provenance: 'matches GptOssConfig defaults; recalled' },
  { name: 'mistral-7b', repo: 'mistralai/Mistral-7B-v0.3', config: mistral_7b, provenance: 'recalled (v0.3: vocab 32768); the research notes have no Mistral checkpoint entry' },
];

export function findPreset(ref: string): Preset | undefined {
  const r = ref.toLowerCase();
  return PRESETS.find((p) => p.name === r || p.repo.toLowerCase() === r || p.repo.toLowerCase().endsWith('/' + r));
}
