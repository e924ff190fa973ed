// llama: transformers' models/llama (configuration_llama.py, modeling_llama.py).
import { descriptor, LLAMA_DEFAULTS } from './descriptor';

export const llama = descriptor({ modelType: 'llama', prefix: 'Llama', attributeMap: {}, defaults: { ...LLAMA_DEFAULTS, vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, max_position_embeddings: 2048 }, attention: 'mha', qkvBias: false, oBias: false, qkNorm: false, sinks: false });
