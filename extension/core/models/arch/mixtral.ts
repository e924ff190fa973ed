// mixtral: transformers' models/mixtral (configuration_mixtral.py, modeling_mixtral.py).
import { descriptor, LLAMA_DEFAULTS } from './descriptor';

export const mixtral = descriptor({
  modelType: 'mixtral', prefix: 'Mixtral', attributeMap: { num_experts: 'num_local_experts' },
  defaults: { ...LLAMA_DEFAULTS, vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, rms_norm_eps: 1e-5, num_experts_per_tok: 2, num_local_experts: 8, max_position_embeddings: 131072 },
  attention: 'mha', qkvBias: false, oBias: false, qkNorm: false, sinks: false,
  moe: { router: 'gate', routerBias: false, correctionBias: false, transposedExperts: false, expertBias: false, sharedExperts: false },
});
