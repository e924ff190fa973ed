// What an architecture descriptor says: what differs between the decoder families transformers builds.
// Values are read from transformers' configuration_*.py / modeling_*.py as the research notes quote them.

export interface Architecture {
  modelType: string;
  /** transformers class-name prefix, e.g. "Llama" → LlamaAttention, LlamaForCausalLM. */
  prefix: string;
  /** attribute_map pairs as transformers declares them (alias → attribute); either name may appear in config.json. */
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
    /** Class of the MoE block and of its router where they break the `${prefix}SparseMoeBlock` / `${prefix}TopKRouter` pattern. */
    blockClass?: string;
    routerClass?: string;
  };
}

/** The config defaults every Llama-derived family shares. */
export const LLAMA_DEFAULTS = { rms_norm_eps: 1e-6, tie_word_embeddings: false, attention_bias: false, mlp_bias: false, torch_dtype: 'bfloat16' };

/** A descriptor from its facts; the built-in plans are looked up by model_type. */
export function descriptor(facts: Architecture): Architecture {
  return facts;
}
