"""Ground truth for the rehearsal's MoE routing: the experts and weights transformers' own routers choose
(DeepseekV3TopkRouter: sigmoid scores, correction bias, group-limited top-k, routed_scaling_factor;
MixtralTopKRouter and Qwen3MoeTopKRouter: softmax top-k, normalised or not), from router logits and
biases recorded beside them.

Writes test/fixtures/oracle/moe_routing.json. See README.md in this folder for the environment.
"""
import json
import sys

import torch
import transformers
from transformers import AutoConfig
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3TopkRouter
from transformers.models.mixtral.modeling_mixtral import MixtralTopKRouter
from transformers.models.qwen3_moe.modeling_qwen3_moe import Qwen3MoeTopKRouter

H, T = 24, 16
# name, model_type, config overrides, router class, correction-bias scale (DeepSeek only)
CASES = [
    ("deepseek_v3", "deepseek_v3", dict(n_routed_experts=16, n_group=4, topk_group=2, num_experts_per_tok=4, routed_scaling_factor=2.5), DeepseekV3TopkRouter, 0.1),
    # A bias as large as the scores: the biased choice and the unbiased weights part ways.
    ("deepseek_v3-large-bias", "deepseek_v3", dict(n_routed_experts=16, n_group=4, topk_group=2, num_experts_per_tok=4, routed_scaling_factor=2.5), DeepseekV3TopkRouter, 1.0),
    ("deepseek_v3-unnormalised", "deepseek_v3", dict(n_routed_experts=32, n_group=8, topk_group=3, num_experts_per_tok=6, routed_scaling_factor=1.5, norm_topk_prob=False), DeepseekV3TopkRouter, 0.1),
    ("deepseek_v3-one-group", "deepseek_v3", dict(n_routed_experts=8, n_group=1, topk_group=1, num_experts_per_tok=2), DeepseekV3TopkRouter, 0.1),
    ("mixtral", "mixtral", dict(num_local_experts=8, num_experts_per_tok=2), MixtralTopKRouter, None),
    ("qwen3_moe", "qwen3_moe", dict(num_experts=16, num_experts_per_tok=4), Qwen3MoeTopKRouter, None),
    ("qwen3_moe-normalised", "qwen3_moe", dict(num_experts=16, num_experts_per_tok=4, norm_topk_prob=True), Qwen3MoeTopKRouter, None),
]


def flat(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def main():
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "transformers": transformers.__version__, "tokens": T, "cases": []}
    for name, model_type, over, cls, bias_scale in CASES:
        cfg = AutoConfig.for_model(model_type, hidden_size=H, **over)
        router = cls(cfg).float()
        with torch.no_grad():
            router.weight.copy_(torch.randn_like(router.weight) / H**0.5)
            if bias_scale is not None:
                router.e_score_correction_bias.copy_((torch.rand_like(router.e_score_correction_bias) * 2 - 1) * bias_scale)
        x = torch.randn(T, H)
        with torch.no_grad():
            logits, weights, indices = router(x)
        E = logits.shape[-1]
        case = {
            "name": name,
            "model_type": model_type,
            # The configuration as config.json would hold it (only what the routing reads is needed).
            "config": {"model_type": model_type, **{k: v for k, v in over.items()}},
            "experts": E,
            "k": int(indices.shape[-1]),
            "logits": flat(logits.float()),
            "indices": [int(v) for v in indices.reshape(-1).tolist()],
            "weights": flat(weights.float()),
        }
        if bias_scale is not None:
            case["bias"] = flat(router.e_score_correction_bias.float())
        out["cases"].append(case)
    path = "test/fixtures/oracle/moe_routing.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(out['cases'])} cases", file=sys.stderr)


main()
