// mistral: transformers' models/mistral (configuration_mistral.py, modeling_mistral.py).
import { descriptor, LLAMA_DEFAULTS } from './descriptor';

export const mistral = descriptor({ modelType: 'mistral', prefix: 'Mistral', attributeMap: {}, defaults: { ...LLAMA_DEFAULTS, vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, rms_norm_eps: 1e-6, max_position_embeddings: 131072 }, attention: 'mha', qkvBias: false, oBias: false, qkNorm: false, sinks: false });
