// qwen3_moe: transformers' models/qwen3_moe (configuration_qwen3_moe.py, modeling_qwen3_moe.py).
import { descriptor, LLAMA_DEFAULTS } from './descriptor';

export const qwen3_moe = descriptor({
  modelType: 'qwen3_moe', prefix: 'Qwen3Moe', attributeMap: { num_local_experts: 'num_experts' },
  defaults: { ...LLAMA_DEFAULTS, vocab_size: 151936, hidden_size: 2048, intermediate_size: 6144, num_hidden_layers: 24, num_attention_heads: 32, num_key_value_heads: 4, decoder_sparse_step: 1, moe_intermediate_size: 768, num_experts_per_tok: 8, num_experts: 128, mlp_only_layers: [], norm_topk_prob: false, max_position_embeddings: 32768 },
  attention: 'mha', qkvBias: false, oBias: false, qkNorm: true, sinks: false,
  moe: { router: 'gate', routerBias: false, correctionBias: false, transposedExperts: false, expertBias: false, sharedExperts: false },
});
