// transformers' built-in plans per architecture (base_model_*_plan and the CausalLM class-level _tp_plan),
// as read from the configuration files cited in `source`.
import type { Generation } from '../styles/types';

export interface BuiltinPlans {
  source: string;
  tp?: Record<string, string>;
  ep?: Record<string, string>;
  sp?: Record<string, string>;
  pp?: Record<string, unknown>;
  /** Class-level plan of the *ForCausalLM head: keys from the model root. */
  class_tp: Record<string, string>;
  /** DeepSeek-V3: the plan of the newest family (deepseek_v32 configs, with MLA attention entries). */
  tp_newest?: Record<string, string>;
  /** The plan transformers 5.18 applies, where it differs from the configuration files above (observed by test/oracle/transformers_tp.py). */
  tp_g4?: Record<string, string>;
}

// The pieces the configuration files share; each architecture's plans are assembled from them below.
const SRC = 'huggingface/transformers:src/transformers/models';
const AT_MAIN = '@008e574391258935f3ecc3035c882e73bbcac419';
const AT_V50 = '@001f85b38fb432858ace93f18622f07cec46d874';

const ATTENTION = {
  'layers.*.self_attn.q_proj': 'colwise',
  'layers.*.self_attn.k_proj': 'colwise',
  'layers.*.self_attn.v_proj': 'colwise',
};
const QK_NORM = {
  'layers.*.self_attn.q_norm': 'replicated_with_grad_allreduce',
  'layers.*.self_attn.k_norm': 'replicated_with_grad_allreduce',
};
const O_PROJ = { 'layers.*.self_attn.o_proj': 'rowwise' };
const MLP = {
  'layers.*.mlp.gate_proj': 'colwise',
  'layers.*.mlp.up_proj': 'colwise',
  'layers.*.mlp.down_proj': 'rowwise',
};
const SHARED_EXPERTS = {
  'layers.*.mlp.shared_experts.gate_proj': 'colwise',
  'layers.*.mlp.shared_experts.up_proj': 'colwise',
  'layers.*.mlp.shared_experts.down_proj': 'rowwise',
};
const TP_EXPERTS = {
  'layers.*.mlp.experts.gate_up_proj': 'packed_colwise',
  'layers.*.mlp.experts.down_proj': 'rowwise',
  'layers.*.mlp.experts': 'moe_tp_experts',
};
const EP_EXPERTS = {
  'layers.*.mlp.gate': 'ep_router',
  'layers.*.mlp.experts.gate_up_proj': 'grouped_gemm',
  'layers.*.mlp.experts.down_proj': 'grouped_gemm',
  'layers.*.mlp.experts': 'moe_tp_experts',
};
const PP = {
  embed_tokens: [['input_ids'], ['inputs_embeds']],
  layers: [['hidden_states', 'attention_mask'], ['hidden_states']],
  norm: [['hidden_states'], ['hidden_states']],
};
const CLASS_TP = { lm_head: 'colwise_gather_output' };
const DENSE = { ...ATTENTION, ...O_PROJ, ...MLP };

export const BUILTIN_PLANS: Record<string, BuiltinPlans> = {
  llama: { source: `${SRC}/llama/configuration_llama.py${AT_MAIN}`, tp: DENSE, pp: PP, class_tp: CLASS_TP },
  mistral: { source: `${SRC}/mistral/configuration_mistral.py${AT_V50} (older __init__-style v5 version; plan identical to llama)`, tp: DENSE, pp: PP, class_tp: CLASS_TP },
  qwen2: { source: `${SRC}/qwen2/configuration_qwen2.py${AT_MAIN}`, tp: DENSE, pp: PP, class_tp: CLASS_TP },
  qwen3: { source: `${SRC}/qwen3/configuration_qwen3.py${AT_MAIN}`, tp: { ...ATTENTION, ...QK_NORM, ...O_PROJ, ...MLP }, pp: PP, class_tp: CLASS_TP },
  mixtral: { source: `${SRC}/mixtral/configuration_mixtral.py${AT_MAIN}`, tp: { ...ATTENTION, ...O_PROJ, ...TP_EXPERTS }, ep: EP_EXPERTS, pp: PP, class_tp: CLASS_TP },
  qwen3_moe: { source: `${SRC}/qwen3_moe/configuration_qwen3_moe.py${AT_MAIN}`, tp: { ...ATTENTION, ...QK_NORM, ...O_PROJ, ...TP_EXPERTS, ...MLP }, ep: EP_EXPERTS, pp: PP, class_tp: CLASS_TP },
  deepseek_v3: {
    source: `${SRC}/deepseek_v3/configuration_deepseek_v3.py${AT_V50} (older v5.0-era version)`,
    tp: { 'layers.*.mlp.experts.gate_up_proj': 'local_rowwise', 'layers.*.mlp.experts.down_proj': 'local_rowwise', 'layers.*.mlp.experts': 'gather', ...SHARED_EXPERTS, ...MLP },
    tp_newest: {
      'layers.*.self_attn.q_b_proj': 'colwise',
      'layers.*.self_attn.kv_a_proj_with_mqa': 'mla_kv_a_proj',
      'layers.*.self_attn.kv_b_proj': 'colwise',
      ...O_PROJ,
      ...TP_EXPERTS,
      ...SHARED_EXPERTS,
      ...MLP,
    },
    // transformers 5.18 shards DeepSeek-V3's experts, shared experts and dense MLPs, and leaves MLA
    // attention unsharded (observed per rank with the real library; see test/fixtures/oracle/transformers_tp.json).
    tp_g4: { ...TP_EXPERTS, ...SHARED_EXPERTS, ...MLP },
    pp: PP,
    class_tp: CLASS_TP,
  },
  gpt_oss: {
    source: `${SRC}/gpt_oss/configuration_gpt_oss.py@02b8f42b4240dddea1b27c45d2dc95fb2682f841`,
    ep: {
      'layers.*.mlp.router': 'ep_router',
      'layers.*.mlp.experts.gate_up_proj': 'grouped_gemm',
      'layers.*.mlp.experts.gate_up_proj_bias': 'grouped_gemm',
      'layers.*.mlp.experts.down_proj': 'grouped_gemm',
      'layers.*.mlp.experts.down_proj_bias': 'grouped_gemm',
      'layers.*.mlp.experts': 'moe_tp_experts',
    },
    pp: PP,
    class_tp: CLASS_TP,
  },
};

/** The plans `--plan auto` applies for one architecture under one transformers generation. */
export interface PlansForGeneration {
  source: string;
  /** base_model_tp_plan (keys relative to the base model). */
  tp?: Record<string, string>;
  ep?: Record<string, string>;
  pp?: Record<string, unknown>;
  /** The *ForCausalLM class-level _tp_plan (keys from the model root). */
  classTp: Record<string, string>;
}

/**
 * transformers' own plans of an architecture for a generation of its style vocabulary.
 * g4 is what the newest library applies (where an oracle observed it differing from the configuration
 * file, that observation wins); g2 is the configuration files as read. g1/g3 configs are not recorded
 * per architecture in the notes, so they fall back to the g2 plan, whose names those generations alias.
 */
export function builtinPlans(modelType: string, generation: Generation = 'g4'): PlansForGeneration | undefined {
  const b = BUILTIN_PLANS[modelType];
  if (!b) return undefined;
  const tp = generation === 'g4' ? (b.tp_g4 ?? b.tp) : b.tp;
  return { source: b.source, tp, ep: b.ep, pp: b.pp, classTp: b.class_tp };
}
