// deepseek_v3: transformers' models/deepseek_v3 (configuration_deepseek_v3.py, modeling_deepseek_v3.py).
import { descriptor, LLAMA_DEFAULTS } from './descriptor';

export const deepseek_v3 = descriptor({
  modelType: 'deepseek_v3', prefix: 'DeepseekV3', attributeMap: { num_local_experts: 'n_routed_experts' },
  defaults: { ...LLAMA_DEFAULTS, vocab_size: 129280, hidden_size: 7168, intermediate_size: 18432, moe_intermediate_size: 2048, num_hidden_layers: 61, num_attention_heads: 128, num_key_value_heads: 128, n_shared_experts: 1, n_routed_experts: 256, kv_lora_rank: 512, q_lora_rank: 1536, qk_rope_head_dim: 64, v_head_dim: 128, qk_nope_head_dim: 128, num_experts_per_tok: 8, first_k_dense_replace: 3, n_group: 8, topk_group: 4, norm_topk_prob: true, routed_scaling_factor: 2.5, max_position_embeddings: 4096 },
  attention: 'mla', qkvBias: false, oBias: false, qkNorm: false, sinks: false,
  moe: { router: 'gate', routerBias: false, correctionBias: true, transposedExperts: false, expertBias: false, sharedExperts: true, blockClass: 'DeepseekV3MoE', routerClass: 'DeepseekV3TopkRouter' },
});
