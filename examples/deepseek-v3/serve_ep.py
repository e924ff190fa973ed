"""Serve DeepSeek-V3 with its routed experts spread over the GPUs (expert parallel) and the dense
parts tensor parallel, using a custom plan passed to from_pretrained.

torchrun --nproc-per-node 8 serve_ep.py

Open this file in VS Code with Shardscope: the plan dict is checked against DeepSeek-V3 (config.json
beside this file): MLA's kv_a_proj_with_mqa output [576] mixes the shared latent and the rope key, so it
is not split colwise; kv_b_proj [32768, 512] and q_b_proj [24576, 1536] split over 128 heads.
"""
import torch
from transformers import AutoModelForCausalLM
from transformers.distributed import DistributedConfig

tp_plan = {
    "model.layers.*.self_attn.q_b_proj": "colwise",
    "model.layers.*.self_attn.kv_a_proj_with_mqa": "mla_kv_a_proj",
    "model.layers.*.self_attn.kv_b_proj": "colwise",
    "model.layers.*.self_attn.o_proj": "rowwise",
    "model.layers.*.mlp.shared_experts.gate_proj": "colwise",
    "model.layers.*.mlp.shared_experts.up_proj": "colwise",
    "model.layers.*.mlp.shared_experts.down_proj": "rowwise",
    "model.layers.*.mlp.gate_proj": "colwise",
    "model.layers.*.mlp.up_proj": "colwise",
    "model.layers.*.mlp.down_proj": "rowwise",
    "model.layers.*.mlp.gate": "ep_router",
    "model.layers.*.mlp.experts.gate_up_proj": "grouped_gemm",
    "model.layers.*.mlp.experts.down_proj": "grouped_gemm",
    "model.layers.*.mlp.experts": "moe_tp_experts",
    "lm_head": "colwise_gather_output",
}

model = AutoModelForCausalLM.from_pretrained(
    "./",
    tp_plan=tp_plan,
    distributed_config=DistributedConfig(enable_expert_parallel=True),
    dtype=torch.bfloat16,
)
