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

export const BUILTIN_PLANS: Record<string, BuiltinPlans> = {
  "llama": {
    "source": "huggingface/transformers:src/transformers/models/llama/configuration_llama.py@008e574391258935f3ecc3035c882e73bbcac419",
    "tp": {
      "layers.*.self_attn.q_proj": "colwise",
      "layers.*.self_attn.k_proj": "colwise",
      "layers.*.self_attn.v_proj": "colwise",
      "layers.*.self_attn.o_proj": "rowwise",
      "layers.*.mlp.gate_proj": "colwise",
      "layers.*.mlp.up_proj": "colwise",
      "layers.*.mlp.down_proj": "rowwise"
    },
    "pp": {
      "embed_tokens": [
        [
          "input_ids"
        ],
        [
          "inputs_embeds"
        ]
      ],
      "layers": [
        [
          "hidden_states",
          "attention_mask"
        ],
        [
          "hidden_states"
        ]
      ],
      "norm": [
        [
          "hidden_states"
        ],
        [
          "hidden_states"
        ]
      ]
    },
    "class_tp": {
      "lm_head": "colwise_gather_output"
    }
  },
  "mistral": {
    "source": "huggingface/transformers:src/transformers/models/mistral/configuration_mistral.py@001f85b38fb432858ace93f18622f07cec46d874 (older __init__-style v5 version; plan identical to llama)",
    "tp": {
      "layers.*.self_attn.q_proj": "colwise",
      "layers.*.self_attn.k_proj": "colwise",
      "layers.*.self_attn.v_proj": "colwise",
      "layers.*.self_attn.o_proj": "rowwise",
      "layers.*.mlp.gate_proj": "colwise",
      "layers.*.mlp.up_proj": "colwise",
      "layers.*.mlp.down_proj": "rowwise"
    },
    "pp": {
      "embed_tokens": [
        [
          "input_ids"
        ],
        [
          "inputs_embeds"
        ]
      ],
      "layers": [
        [
          "hidden_states",
          "attention_mask"
        ],
        [
          "hidden_states"
        ]
      ],
      "norm": [
        [
          "hidden_states"
        ],
        [
          "hidden_states"
        ]
      ]
    },
    "class_tp": {
      "lm_head": "colwise_gather_output"
    }
  },
  "qwen2": {
    "source": "huggingface/transformers:src/transformers/models/qwen2/configuration_qwen2.py@008e574391258935f3ecc3035c882e73bbcac419",
    "tp": {
      "layers.*.self_attn.q_proj": "colwise",
      "layers.*.self_attn.k_proj": "colwise",
      "layers.*.self_attn.v_proj": "colwise",
      "layers.*.self_attn.o_proj": "rowwise",
      "layers.*.mlp.gate_proj": "colwise",
      "layers.*.mlp.up_proj": "colwise",
      "layers.*.mlp.down_proj": "rowwise"
    },
    "pp": {
      "embed_tokens": [
        [
          "input_ids"
        ],
        [
          "inputs_embeds"
        ]
      ],
      "layers": [
        [
          "hidden_states",
          "attention_mask"
        ],
        [
          "hidden_states"
        ]
      ],
      "norm": [
        [
          "hidden_states"
        ],
        [
          "hidden_states"
        ]
      ]
    },
    "class_tp": {
      "lm_head": "colwise_gather_output"
    }
  },
  "qwen3": {
    "source": "huggingface/transformers:src/transformers/models/qwen3/configuration_qwen3.py@008e574391258935f3ecc3035c882e73bbcac419",
    "tp": {
      "layers.*.self_attn.q_proj": "colwise",
      "layers.*.self_attn.k_proj": "colwise",
      "layers.*.self_attn.v_proj": "colwise",
      "layers.*.self_attn.q_norm": "replicated_with_grad_allreduce",
      "layers.*.self_attn.k_norm": "replicated_with_grad_allreduce",
      "layers.*.self_attn.o_proj": "rowwise",
      "layers.*.mlp.gate_proj": "colwise",
      "layers.*.mlp.up_proj": "colwise",
      "layers.*.mlp.down_proj": "rowwise"
    },
    "pp": {
      "embed_tokens": [
        [
          "input_ids"
        ],
        [
          "inputs_embeds"
        ]
      ],
      "layers": [
        [
          "hidden_states",
          "attention_mask"
        ],
        [
          "hidden_states"
        ]
      ],
      "norm": [
        [
          "hidden_states"
        ],
        [
          "hidden_states"
        ]
      ]
    },
    "class_tp": {
      "lm_head": "colwise_gather_output"
    }
  },
  "mixtral": {
    "source": "huggingface/transformers:src/transformers/models/mixtral/configuration_mixtral.py@008e574391258935f3ecc3035c882e73bbcac419",
    "tp": {
      "layers.*.self_attn.q_proj": "colwise",
      "layers.*.self_attn.k_proj": "colwise",
      "layers.*.self_attn.v_proj": "colwise",
      "layers.*.self_attn.o_proj": "rowwise",
      "layers.*.mlp.experts.gate_up_proj": "packed_colwise",
      "layers.*.mlp.experts.down_proj": "rowwise",
      "layers.*.mlp.experts": "moe_tp_experts"
    },
    "ep": {
      "layers.*.mlp.gate": "ep_router",
      "layers.*.mlp.experts.gate_up_proj": "grouped_gemm",
      "layers.*.mlp.experts.down_proj": "grouped_gemm",
      "layers.*.mlp.experts": "moe_tp_experts"
    },
    "pp": {
      "embed_tokens": [
        [
          "input_ids"
        ],
        [
          "inputs_embeds"
        ]
      ],
      "layers": [
        [
          "hidden_states",
          "attention_mask"
        ],
        [
          "hidden_states"
        ]
      ],
      "norm": [
        [
          "hidden_states"
        ],
        [
          "hidden_states"
        ]
      ]
    },
    "class_tp": {
      "lm_head": "colwise_gather_output"
    }
  },
  "qwen3_moe": {
    "source": "huggingface/transformers:src/transformers/models/qwen3_moe/configuration_qwen3_moe.py@008e574391258935f3ecc3035c882e73bbcac419",
    "tp": {
      "layers.*.self_attn.q_proj": "colwise",
      "layers.*.self_attn.k_proj": "colwise",
      "layers.*.self_attn.v_proj": "colwise",
      "layers.*.self_attn.q_norm": "replicated_with_grad_allreduce",
      "layers.*.self_attn.k_norm": "replicated_with_grad_allreduce",
      "layers.*.self_attn.o_proj": "rowwise",
      "layers.*.mlp.experts.gate_up_proj": "packed_colwise",
      "layers.*.mlp.experts.down_proj": "rowwise",
      "layers.*.mlp.experts": "moe_tp_experts",
      "layers.*.mlp.gate_proj": "colwise",
      "layers.*.mlp.up_proj": "colwise",
      "layers.*.mlp.down_proj": "rowwise"
    },
    "ep": {
      "layers.*.mlp.gate": "ep_router",
      "layers.*.mlp.experts.gate_up_proj": "grouped_gemm",
      "layers.*.mlp.experts.down_proj": "grouped_gemm",
      "layers.*.mlp.experts": "moe_tp_experts"
    },
    "pp": {
      "embed_tokens": [
        [
          "input_ids"
        ],
        [
          "inputs_embeds"
        ]
      ],
      "layers": [
        [
          "hidden_states",
          "attention_mask"
        ],
        [
          "hidden_states"
        ]
      ],
      "norm": [
        [
          "hidden_states"
        ],
        [
          "hidden_states"
        ]
      ]
    },
    "class_tp": {
      "lm_head": "colwise_gather_output"
    }
  },
  "deepseek_v3": {
    "source": "huggingface/transformers:src/transformers/models/deepseek_v3/configuration_deepseek_v3.py@001f85b38fb432858ace93f18622f07cec46d874 (older v5.0-era version; )",
    "tp": {
      "layers.*.mlp.experts.gate_up_proj": "local_rowwise",
      "layers.*.mlp.experts.down_proj": "local_rowwise",
      "layers.*.mlp.experts": "gather",
      "layers.*.mlp.shared_experts.gate_proj": "colwise",
      "layers.*.mlp.shared_experts.up_proj": "colwise",
      "layers.*.mlp.shared_experts.down_proj": "rowwise",
      "layers.*.mlp.gate_proj": "colwise",
      "layers.*.mlp.up_proj": "colwise",
      "layers.*.mlp.down_proj": "rowwise"
    },
    "pp": {
      "embed_tokens": [
        [
          "input_ids"
        ],
        [
          "inputs_embeds"
        ]
      ],
      "layers": [
        [
          "hidden_states",
          "attention_mask"
        ],
        [
          "hidden_states"
        ]
      ],
      "norm": [
        [
          "hidden_states"
        ],
        [
          "hidden_states"
        ]
      ]
    },
    "class_tp": {
      "lm_head": "colwise_gather_output"
    },
    "tp_newest": {
      "layers.*.self_attn.q_b_proj": "colwise",
      "layers.*.self_attn.kv_a_proj_with_mqa": "mla_kv_a_proj",
      "layers.*.self_attn.kv_b_proj": "colwise",
      "layers.*.self_attn.o_proj": "rowwise",
      "layers.*.mlp.experts.gate_up_proj": "packed_colwise",
      "layers.*.mlp.experts.down_proj": "rowwise",
      "layers.*.mlp.experts": "moe_tp_experts",
      "layers.*.mlp.shared_experts.gate_proj": "colwise",
      "layers.*.mlp.shared_experts.up_proj": "colwise",
      "layers.*.mlp.shared_experts.down_proj": "rowwise",
      "layers.*.mlp.gate_proj": "colwise",
      "layers.*.mlp.up_proj": "colwise",
      "layers.*.mlp.down_proj": "rowwise"
    }
  },
  "gpt_oss": {
    "source": "huggingface/transformers:src/transformers/models/gpt_oss/configuration_gpt_oss.py@02b8f42b4240dddea1b27c45d2dc95fb2682f841",
    "ep": {
      "layers.*.mlp.router": "ep_router",
      "layers.*.mlp.experts.gate_up_proj": "grouped_gemm",
      "layers.*.mlp.experts.gate_up_proj_bias": "grouped_gemm",
      "layers.*.mlp.experts.down_proj": "grouped_gemm",
      "layers.*.mlp.experts.down_proj_bias": "grouped_gemm",
      "layers.*.mlp.experts": "moe_tp_experts"
    },
    "pp": {
      "embed_tokens": [
        [
          "input_ids"
        ],
        [
          "inputs_embeds"
        ]
      ],
      "layers": [
        [
          "hidden_states",
          "attention_mask"
        ],
        [
          "hidden_states"
        ]
      ],
      "norm": [
        [
          "hidden_states"
        ],
        [
          "hidden_states"
        ]
      ]
    },
    "class_tp": {
      "lm_head": "colwise_gather_output"
    }
  }
};

// transformers 5.18 shards DeepSeek-V3's experts, shared experts and dense MLPs, and leaves MLA attention
// unsharded (observed per rank with the real library; see test/fixtures/oracle/transformers_tp.json).
BUILTIN_PLANS.deepseek_v3.tp_g4 = {
  'layers.*.mlp.experts.gate_up_proj': 'packed_colwise',
  'layers.*.mlp.experts.down_proj': 'rowwise',
  'layers.*.mlp.experts': 'moe_tp_experts',
  'layers.*.mlp.shared_experts.gate_proj': 'colwise',
  'layers.*.mlp.shared_experts.up_proj': 'colwise',
  'layers.*.mlp.shared_experts.down_proj': 'rowwise',
  'layers.*.mlp.gate_proj': 'colwise',
  'layers.*.mlp.up_proj': 'colwise',
  'layers.*.mlp.down_proj': 'rowwise',
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
