"""Serve Qwen3-30B-A3B tensor parallel over 4 GPUs with a plan written out in full.

torchrun --nproc-per-node 4 serve_tp.py

Open this file in VS Code with Shardscope: the plan is checked against Qwen3-30B-A3B (config.json beside
this file). Its 4 KV heads cap a colwise k_proj/v_proj at tp_size=4; try tp_size=8 to see why.
All 48 layers are sparse (decoder_sparse_step=1, mlp_only_layers=[]), so there are no dense-MLP keys.
"""
import torch
from transformers import AutoModelForCausalLM

tp_plan = {
    "model.layers.*.self_attn.q_proj": "colwise",
    "model.layers.*.self_attn.k_proj": "colwise",
    "model.layers.*.self_attn.v_proj": "colwise",
    "model.layers.*.self_attn.q_norm": "replicated_with_grad_allreduce",
    "model.layers.*.self_attn.k_norm": "replicated_with_grad_allreduce",
    "model.layers.*.self_attn.o_proj": "rowwise",
    "model.layers.*.mlp.experts.gate_up_proj": "packed_colwise",
    "model.layers.*.mlp.experts.down_proj": "rowwise",
    "model.layers.*.mlp.experts": "moe_tp_experts",
    "lm_head": "colwise_gather_output",
}

model = AutoModelForCausalLM.from_pretrained("./", tp_plan=tp_plan, tp_size=4, dtype=torch.bfloat16)
