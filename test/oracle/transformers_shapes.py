"""Ground truth for the model descriptors: every parameter name and shape (and module class) transformers builds for tiny
configs of each architecture, on the meta device (no memory, no weights).

Writes test/fixtures/oracle/transformers_param_shapes.json. See README.md in this folder for the environment.
"""
import json
import sys

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

BASE = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, vocab_size=256, tie_word_embeddings=False)
MLA = dict(num_key_value_heads=4, kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16, n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=32, first_k_dense_replace=1, n_group=1, topk_group=1)

CASES = [
    # name, model_type, overrides of BASE
    ("llama", "llama", {}),
    ("llama-tied", "llama", dict(tie_word_embeddings=True)),
    ("mistral", "mistral", {}),
    ("qwen2", "qwen2", {}),
    ("qwen3", "qwen3", dict(head_dim=24)),
    ("mixtral", "mixtral", dict(num_local_experts=4, num_experts_per_tok=2)),
    ("qwen3_moe", "qwen3_moe", dict(head_dim=16, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32)),
    ("qwen3_moe-sparse-step", "qwen3_moe", dict(head_dim=16, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32, decoder_sparse_step=2, mlp_only_layers=[2])),
    ("deepseek_v3", "deepseek_v3", dict(MLA, q_lora_rank=32)),
    ("deepseek_v3-no-q-lora", "deepseek_v3", dict(MLA, q_lora_rank=None)),
    ("gpt_oss", "gpt_oss", dict(head_dim=16, num_local_experts=4, num_experts_per_tok=2, intermediate_size=48)),
]


def main() -> None:
    cases = []
    for name, model_type, overrides in CASES:
        config = AutoConfig.for_model(model_type, **{**BASE, **overrides})
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(config)
        # remove_duplicate=False keeps lm_head.weight when it is tied to the embedding.
        params = [[n, list(p.shape)] for n, p in model.named_parameters(remove_duplicate=False)]
        modules = [[n, type(m).__name__] for n, m in model.named_modules()]
        cases.append({"name": name, "model_type": model_type, "config": json.loads(config.to_json_string()), "params": params, "modules": modules})
        print(f"{name}: {len(params)} parameters", file=sys.stderr)
    out = {"torch": torch.__version__, "transformers": transformers.__version__, "cases": cases}
    with open("test/fixtures/oracle/transformers_param_shapes.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
