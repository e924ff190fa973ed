// Architecture descriptors: what differs between the decoder families transformers builds.
// Values are read from transformers' configuration_*.py / modeling_*.py as the research notes quote them.

export interface Architecture {
  modelType: string;
  /** transformers class-name prefix, e.g. "Llama" → LlamaAttention, LlamaForCausalLM. */
  prefix: string;
  /** attribute_map aliases: canonical name → name in config.json. */
  attributeMap: Record<string, string>;
  /** Defaults of the config class for keys config.json may omit. */
  defaults: Record<string, unknown>;
  attention: 'mha' | 'mla';
  /** q/k/v (and o) biases. */
  qkvBias: boolean;
  oBias: boolean;
  /** Per-head RMSNorm on q and k (Qwen3). */
  qkNorm: boolean;
  /** Attention sinks parameter [num_heads] (gpt-oss). */
  sinks: boolean;
  /** MoE layout, or none for dense models. */
  moe?: {
    /** Name of the router module under mlp ("gate" or "router"). */
    router: string;
    routerBias: boolean;
    /** DeepSeek's e_score_correction_bias [E] on the router. */
    correctionBias: boolean;
    /** gpt-oss experts: [E, H, 2I] interleaved, with biases. */
    transposedExperts: boolean;
    expertBias: boolean;
    sharedExperts: boolean;
  };
}

const LLAMA_DEFAULTS = { rms_norm_eps: 1e-6, tie_word_embeddings: false, attention_bias: false, mlp_bias: false, torch_dtype: 'bfloat16' };

export const ARCHITECTURES: Record<string, Architecture> = {
  llama: { modelType: 'llama', prefix: 'Llama', attributeMap: {}, defaults: { ...LLAMA_DEFAULTS, vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, max_position_embeddings: 2048 }, attention: 'mha', qkvBias: false, oBias: false, qkNorm: false, sinks: false },
  mistral: { modelType: 'mistral', prefix: 'Mistral', attributeMap: {}, defaults: { ...LLAMA_DEFAULTS, vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, rms_norm_eps: 1e-6, max_position_embeddings: 131072 }, attention: 'mha', qkvBias: false, oBias: false, qkNorm: false, sinks: false },
  qwen2: { modelType: 'qwen2', prefix: 'Qwen2', attributeMap: {}, defaults: { ...LLAMA_DEFAULTS, vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, max_position_embeddings: 32768 }, attention: 'mha', qkvBias: true, oBias: false, qkNorm: false, sinks: false },
  qwen3: { modelType: 'qwen3', prefix: 'Qwen3', attributeMap: {}, defaults: { ...LLAMA_DEFAULTS, vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, head_dim: 128, max_position_embeddings: 32768 }, attention: 'mha', qkvBias: false, oBias: false, qkNorm: true, sinks: false },
  mixtral: {
    modelType: 'mixtral', prefix: 'Mixtral', attributeMap: { num_experts: 'num_local_experts' },
    defaults: { ...LLAMA_DEFAULTS, vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, rms_norm_eps: 1e-5, num_experts_per_tok: 2, num_local_experts: 8, max_position_embeddings: 131072 },
    attention: 'mha', qkvBias: false, oBias: false, qkNorm: false, sinks: false,
    moe: { router: 'gate', routerBias: false, correctionBias: false, transposedExperts: false, expertBias: false, sharedExperts: false },
  },
  qwen3_moe: {
    modelType: 'qwen3_moe', prefix: 'Qwen3Moe', attributeMap: { num_local_experts: 'num_experts' },
    defaults: { ...LLAMA_DEFAULTS, vocab_size: 151936, hidden_size: 2048, intermediate_size: 6144, num_hidden_layers: 24, num_attention_heads: 32, num_key_value_heads: 4, decoder_sparse_step: 1, moe_intermediate_size: 768, num_experts_per_tok: 8, num_experts: 128, mlp_only_layers: [], max_position_embeddings: 32768 },
    attention: 'mha', qkvBias: false, oBias: false, qkNorm: true, sinks: false,
    moe: { router: 'gate', routerBias: false, correctionBias: false, transposedExperts: false, expertBias: false, sharedExperts: false },
  },
  deepseek_v3: {
    modelType: 'deepseek_v3', prefix: 'DeepseekV3', attributeMap: { num_local_experts: 'n_routed_experts' },
    defaults: { ...LLAMA_DEFAULTS, vocab_size: 129280, hidden_size: 7168, intermediate_size: 18432, moe_intermediate_size: 2048, num_hidden_layers: 61, num_attention_heads: 128, num_key_value_heads: 128, n_shared_experts: 1, n_routed_experts: 256, kv_lora_rank: 512, q_lora_rank: 1536, qk_rope_head_dim: 64, v_head_dim: 128, qk_nope_head_dim: 128, num_experts_per_tok: 8, first_k_dense_replace: 3, max_position_embeddings: 4096 },
    attention: 'mla', qkvBias: false, oBias: false, qkNorm: false, sinks: false,
    moe: { router: 'gate', routerBias: false, correctionBias: true, transposedExperts: false, expertBias: false, sharedExperts: true },
  },
  gpt_oss: {
    modelType: 'gpt_oss', prefix: 'GptOss', attributeMap: { num_experts: 'num_local_experts' },
    defaults: { ...LLAMA_DEFAULTS, num_hidden_layers: 36, num_local_experts: 128, vocab_size: 201088, hidden_size: 2880, intermediate_size: 2880, head_dim: 64, num_attention_heads: 64, num_key_value_heads: 8, rms_norm_eps: 1e-5, num_experts_per_tok: 4, attention_bias: true, max_position_embeddings: 131072 },
    attention: 'mha', qkvBias: true, oBias: true, qkNorm: false, sinks: true,
    moe: { router: 'router', routerBias: true, correctionBias: false, transposedExperts: true, expertBias: true, sharedExperts: false },
  },
};
