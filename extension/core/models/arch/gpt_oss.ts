// gpt_oss: transformers' models/gpt_oss (configuration_gpt_oss.py, modeling_gpt_oss.py).
import { descriptor, LLAMA_DEFAULTS } from './descriptor';

export const gpt_oss = descriptor({
  modelType: 'gpt_oss', prefix: 'GptOss', attributeMap: { num_experts: 'num_local_experts' },
  defaults: { ...LLAMA_DEFAULTS, num_hidden_layers: 36, num_local_experts: 128, vocab_size: 201088, hidden_size: 2880, intermediate_size: 2880, head_dim: 64, num_attention_heads: 64, num_key_value_heads: 8, rms_norm_eps: 1e-5, num_experts_per_tok: 4, attention_bias: true, max_position_embeddings: 131072 },
  attention: 'mha', qkvBias: true, oBias: true, qkNorm: false, sinks: true,
  moe: { router: 'router', routerBias: true, correctionBias: false, transposedExperts: true, expertBias: true, sharedExperts: false, blockClass: 'GptOssMLP' },
});
