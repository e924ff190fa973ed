// The model catalog: facts recorded from real transformers releases (one JSON file per version under
// data/), never transformers' code. Written by test/oracle/catalog/generate.py, read lazily by
// core/models/catalog. Everything here is plain JSON so the file is the contract.

/**
 * A shape dimension as an expression over the resolved configuration: integers, config field names
 * (nested configs dotted, e.g. "text_config.hidden_size"), + - * // and parentheses. Examples:
 * "hidden_size", "num_attention_heads*head_dim", "kv_lora_rank+qk_rope_head_dim", "2*moe_intermediate_size".
 */
export type DimExpr = string;

/** What a module does in the standard decoder flow; 'other' when it has no part in it. */
export type ModuleRole =
  | 'causal_lm' | 'base' | 'embedding' | 'layers' | 'decoder_layer' | 'final_norm' | 'lm_head' | 'rotary'
  | 'input_norm' | 'post_attention_norm' | 'pre_mlp_norm' | 'post_mlp_norm'
  | 'attention' | 'attn_q' | 'attn_k' | 'attn_v' | 'attn_qkv' | 'attn_o' | 'attn_q_norm' | 'attn_k_norm'
  | 'mla_q_a' | 'mla_q_a_norm' | 'mla_q_b' | 'mla_kv_a' | 'mla_kv_a_norm' | 'mla_kv_b'
  | 'mlp' | 'mlp_gate' | 'mlp_up' | 'mlp_gate_up' | 'mlp_down'
  | 'moe' | 'router' | 'experts' | 'shared_experts' | 'shared_expert_gate'
  | 'other';

/**
 * A module or parameter that exists only for some configurations: a boolean field (attention_bias) or a
 * field that may be null (q_lora_rank: null builds q_proj instead of q_a_proj/q_b_proj).
 */
export interface Presence {
  field: string;
  /** "truthy": present when the field is true / non-zero / non-null; "falsy": when it is false, 0 or null. */
  is: 'truthy' | 'falsy';
}

export interface CatalogModule {
  /** Path relative to its scope: from the model root for ends ("model.embed_tokens"), from the decoder
   *  layer for a layer variant ("self_attn.q_proj"). "" is the root. */
  path: string;
  /** The module's class name in that version ("Linear", "MixtralSparseMoeBlock", "ModuleList"). */
  class: string;
  role: ModuleRole;
  /** Added by the generator: on a ModuleList of identical experts written once with "{e}" in the paths below
   *  it (4.x's per-expert modules, "block_sparse_moe.experts.{e}.w1"), how many experts it holds. */
  repeat?: DimExpr;
  /** Built only when the configuration says so (absent: always); its parameters with it. */
  when?: Presence;
}

export interface CatalogParam {
  /** Name relative to the same scope as the modules ("self_attn.q_proj.weight"). */
  name: string;
  shape: DimExpr[];
  /** true for buffers (persistent buffers that a checkpoint holds), absent for parameters. */
  buffer?: boolean;
  /** Built only when the configuration says so (absent: always). */
  when?: Presence;
}

/** One kind of decoder layer (dense, moe, linear_attention ...), relative to the layer. */
export interface LayerVariant {
  modules: CatalogModule[];
  params: CatalogParam[];
}

/**
 * How a configuration class fills a per-layer list it is not given, from the layer count (fitted on several
 * counts): value i is head[i], then cycle[(i - head.length) % cycle.length]; with lastIfMissing, a list that
 * would lack that value takes it as its last (OLMo-Hybrid's single full-attention layer of a short model).
 */
export interface ListPattern { head: string[]; cycle: string[]; lastIfMissing?: string }

/** One per-layer key of a joint rule: a per-layer list's value at i (the class's pattern where the configuration's
 *  list is not one per layer), or a step field: "1" where (i+1) % step == 0 (step > 0), else "0". */
export type LayerKey = { list: string; pattern?: ListPattern } | { step: string };

/** Which variant the layer at index i is, as the version decides it from the configuration. */
export type LayerRule =
  | { kind: 'uniform'; variant: string }
  /** i < first_k (a config field) → `below`, else `above` (DeepSeek's first_k_dense_replace; optional freq field: above only where i % freq == 0). */
  | { kind: 'first_k'; field: DimExpr; below: string; above: string; freqField?: string }
  /** Qwen-style: MoE where i not in `listField` and (i+1) % stepField == 0 (stepField > 0). */
  | { kind: 'sparse_step'; stepField: string; listField?: string; moe: string; dense: string }
  /** Every `stepField`-th layer (i+1) % step == 0 is `moe`, e.g. Llama 4's interleave_moe_layer_step. */
  | { kind: 'interleave'; stepField: string; moe: string; dense: string }
  /** layer_types[i] picks the variant by value (the class's pattern where the list is not one per layer). */
  | { kind: 'layer_types'; field: string; byValue: Record<string, string>; pattern?: ListPattern }
  /** MoE where startField <= i <= endField and (i+1) % stepField == 0 (ERNIE 4.5's moe_layer_start_index/_end_index/_interval). */
  | { kind: 'range_step'; startField: string; endField: string; stepField: string; moe: string; dense: string }
  /** The keys' values at i joined by "|" pick the variant (MiMo-V2-Flash's layer_types × mlp_layer_types). */
  | { kind: 'joint'; parts: LayerKey[]; byValue: Record<string, string> }
  /** A list of layer indices (or a boolean list) in a config field makes those layers `moe`. */
  | { kind: 'index_list'; field: string; moe: string; dense: string };

export interface CatalogPlans {
  /** base_model_tp_plan as that version's config class defines it (keys relative to the base model). */
  tp?: Record<string, string>;
  ep?: Record<string, string>;
  /** base_model_pp_plan: module → [inputs, outputs]. */
  pp?: Record<string, [string[], string[]]>;
  /** The CausalLM class-level _tp_plan (keys from the model root). */
  classTp?: Record<string, string>;
  /** The entry the version adds when the word embeddings are tied (e.g. {"embed_tokens": "embedding_rowwise"}), keys relative to the base model. */
  tiedEmbedding?: Record<string, string>;
  /** With expert parallelism on, the version applies ep *instead of* tp (5.x distributed/mixin.py), not merged. */
  epReplacesTp: boolean;
}

export interface CatalogArchitecture {
  modelType: string;
  configClass: string;
  /** The *ForCausalLM class built (null when the version has none for this config: the base model is built). */
  causalLm: string | null;
  /** base_model_prefix of the built class ("model"). */
  basePrefix: string;
  /** How the facts were obtained: built on the meta device, or read from the version's source files. */
  derivation: 'meta-device' | 'source';
  attributeMap: Record<string, string>;
  /** The configuration class's values when constructed with no arguments (JSON-safe). */
  defaults: Record<string, unknown>;
  /** Fields the config class derives in __init__ when not given, as expressions (e.g. head_dim: "hidden_size//num_attention_heads"). */
  derived?: Record<string, DimExpr>;
  /** Nested configuration the text model reads (composite models): its field name, e.g. "text_config". */
  textConfig?: string;
  plans: CatalogPlans;
  /** Modules and parameters outside the decoder layers, paths from the model root. */
  ends: LayerVariant;
  layers?: {
    /** Path of the ModuleList from the model root ("model.layers"). */
    path: string;
    count: DimExpr;
    variants: Record<string, LayerVariant>;
    rule: LayerRule;
  };
  /** Parameter pairs that share storage when tie_word_embeddings is true: [tied, source]. */
  tied?: [string, string][];
  /** Checkpoint weights the version fuses at load time (per-expert → fused), relative to the layer. */
  fusion?: {
    checkpoint: string[]; into: string; dim: number;
    /** Added by the generator: the version's conversion operations in order, e.g. ["MergeModulelist(dim=0)", "Concatenate(dim=1)"]. */
    ops?: string[];
  }[];
  /** Added by the generator: checkpoint name pieces the version renames at load time before fusing, [from, to]
   *  (Mixtral 5.x: ["block_sparse_moe.", "mlp."]), as its conversion mapping states them. */
  checkpointRenames?: [string, string][];
  /** Added by the generator: set when only the plans, defaults and attribute map could be recorded (read from
   *  source): why the modules and parameters are not. `ends` is then empty and `layers` absent. */
  partial?: string;
  /** Whether the layer flow is the standard decoder flow Shardscope computes collectives for; else why not. */
  flow: { standard: true } | { standard: false; why: string };
}

export interface CatalogFile {
  schema: 1;
  transformers: string;
  torch?: string;
  /** When the file was generated, ISO date. */
  generated: string;
  architectures: Record<string, CatalogArchitecture>;
  /** Config classes that carry a plan but could not be recorded, with why. */
  skipped?: Record<string, string>;
}
