"""Load Mixtral-8x7B sharded over 8 GPUs with transformers' built-in plan, then with a custom one.

torchrun --nproc-per-node 8 train_tp.py
"""
import torch
from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module
from transformers import AutoModelForCausalLM

# The built-in plan: packed_colwise on the fused experts, moe_tp_experts to combine their outputs.
model = AutoModelForCausalLM.from_pretrained("./", tp_plan="auto", tp_size=8, dtype=torch.bfloat16)

# A custom plan for the attention blocks, in PyTorch's own styles (keys from the model root).
custom_plan = {
    "model.layers.*.self_attn.q_proj": ColwiseParallel(),
    "model.layers.*.self_attn.k_proj": ColwiseParallel(),
    "model.layers.*.self_attn.v_proj": ColwiseParallel(),
    "model.layers.*.self_attn.o_proj": RowwiseParallel(),
}
