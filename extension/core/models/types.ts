// The model graph: modules, parameters and the activation flow, as transformers builds them.

export type DType = 'float32' | 'bfloat16' | 'float16' | 'float8_e4m3fn' | 'float8_e5m2' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool' | 'float64';

export interface ParamInfo {
  /** Fully qualified name from the model root, e.g. "model.layers.0.mlp.experts.gate_up_proj". */
  name: string;
  /** Name relative to its owning module, e.g. "weight", "gate_up_proj", "bias". */
  local: string;
  shape: number[];
  dtype: DType;
}

/** What kind of module a node is: decides which styles apply and how placements land on params. */
export type ModuleKind =
  | 'model'            // the CausalLM root
  | 'base'             // the base model ("model")
  | 'embedding'
  | 'linear'
  | 'norm'
  | 'decoder_layer'
  | 'attention'
  | 'mlp'
  | 'moe'              // sparse MoE block (router + experts [+ shared experts])
  | 'router'           // gate producing router logits
  | 'experts'          // fused 3-D experts (gate_up_proj [E, 2I, H], down_proj [E, H, I])
  | 'container'        // ModuleList and the like
  | 'rotary'
  | 'other';

export interface ModuleNode {
  /** Path from the model root, e.g. "model.layers.3.mlp.experts". "" for the root. */
  path: string;
  /** transformers class name where known (e.g. "LlamaAttention", "Linear", "MixtralExperts"). */
  className: string;
  kind: ModuleKind;
  params: ParamInfo[];
  children: ModuleNode[];
  /** Facts a descriptor knows: in/out features of a Linear, packed factor of a fused weight, transposed experts. */
  attrs?: Record<string, number | string | boolean>;
}

/** Config values normalised across architectures (attribute_map aliases already applied). */
export interface NormalizedConfig {
  modelType: string;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  rmsNormEps: number;
  dtype: DType;
  maxPositionEmbeddings?: number;
  // MoE
  numExperts?: number;
  numExpertsPerTok?: number;
  moeIntermediateSize?: number;
  numSharedExperts?: number;
  firstKDenseReplace?: number;
  /** Layers that are MoE (index list), computed from the config (decoder_sparse_step, mlp_only_layers, first_k_dense_replace). */
  moeLayers?: number[];
  // MLA (DeepSeek-V3)
  qLoraRank?: number | null;
  kvLoraRank?: number;
  qkNopeHeadDim?: number;
  qkRopeHeadDim?: number;
  vHeadDim?: number;
  /** The raw config.json values, for whatever a descriptor or a diagnostic needs beyond the above. */
  raw: Record<string, unknown>;
}

/**
 * One step of the activation flow inside a decoder layer (or at the model ends), in execution order.
 * Paths are relative to the layer ("self_attn.q_proj") or, for ends, to the root ("model.embed_tokens").
 * Activations are named; a step reads `inputs` and writes `output`.
 */
export interface FlowStep {
  module: string;
  op:
    | 'embedding'
    | 'norm'
    | 'linear'
    | 'attention_core'   // softmax(QK^T)V over local heads
    | 'router'
    | 'experts'
    | 'act_mul'          // SiLU(gate) * up
    | 'residual_add'
    | 'lm_head'
    | 'module_boundary'; // entry/exit of a container module (self_attn, mlp), where module-level styles act
  inputs: string[];
  output: string;
  /** Shape of the output activation in symbolic terms: "B,S,H" etc. resolved by the binder with run settings. */
  outputShape: (number | 'B' | 'S' | 'T')[];
}

export interface ModelGraph {
  modelType: string;
  /** "model" for the base model prefix in transformers (lm_head sits beside it). */
  basePrefix: string;
  config: NormalizedConfig;
  root: ModuleNode;
  /** Every parameter, in module order. */
  params: ParamInfo[];
  /** Every module by path, for O(1) lookup. */
  modules: Map<string, ModuleNode>;
  /** Activation flow of one dense and (where the model has one) one MoE decoder layer, plus the ends. */
  flow: { dense?: FlowStep[]; moe?: FlowStep[]; head: FlowStep[]; tail: FlowStep[] };
  /** Where the graph came from: "descriptor:llama", "safetensors", ... */
  origin: string;
  /** Parameters that are one tensor because the configuration ties them: [tied, source]. */
  tied?: [string, string][];
  /** Why the activation flow (and so the collectives) is not computed for this model, when it is not. */
  flowUnknown?: string;
  /** The decoder layers themselves are not known (only the modules outside them): keys under layers cannot be checked. */
  layersUnknown?: boolean;
  /** The transformers version whose catalog built this graph, and the note when it is not the one asked for. */
  catalog?: { version: string; note?: string };
  /** Checkpoint keys set aside (MTP layers, FP8 scales ...), with why. */
  setAside?: { key: string; reason: string }[];
}
