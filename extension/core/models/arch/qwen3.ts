// qwen3: transformers' models/qwen3 (configuration_qwen3.py, modeling_qwen3.py).
import { descriptor, LLAMA_DEFAULTS } from './descriptor';

export const qwen3 = descriptor({ modelType: 'qwen3', prefix: 'Qwen3', attributeMap: {}, defaults: { ...LLAMA_DEFAULTS, vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, head_dim: 128, max_position_embeddings: 32768 }, attention: 'mha', qkvBias: false, oBias: false, qkNorm: true, sinks: false });
