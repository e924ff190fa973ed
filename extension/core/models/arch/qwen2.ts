// qwen2: transformers' models/qwen2 (configuration_qwen2.py, modeling_qwen2.py).
import { descriptor, LLAMA_DEFAULTS } from './descriptor';

export const qwen2 = descriptor({ modelType: 'qwen2', prefix: 'Qwen2', attributeMap: {}, defaults: { ...LLAMA_DEFAULTS, vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, max_position_embeddings: 32768 }, attention: 'mha', qkvBias: true, oBias: false, qkNorm: false, sinks: false });
