"""Ground truth for binding from real transformers: every parameter's placements and local shape per
rank after transformers applies its own plan, for tiny configs of each architecture.

One process per rank (PyTorch's fake process group is per process). Writes
test/fixtures/oracle/transformers_tp.json. See README.md in this folder for the environment.
"""
import json
import os
import subprocess
import sys
import tempfile

CASES = [
    # name, model_type, config overrides, tp, expert parallel
    ("llama-tp2", "llama", dict(num_key_value_heads=2), 2, False),
    ("llama-tp4", "llama", dict(num_key_value_heads=4), 4, False),
    ("qwen3-tp2", "qwen3", dict(num_key_value_heads=2, head_dim=16), 2, False),
    ("mixtral-tp2", "mixtral", dict(num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2), 2, False),
    ("mixtral-ep2", "mixtral", dict(num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2), 2, True),
    ("qwen3_moe-tp2", "qwen3_moe", dict(num_key_value_heads=2, head_dim=16, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32), 2, False),
    ("qwen3_moe-ep2", "qwen3_moe", dict(num_key_value_heads=2, head_dim=16, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32), 2, True),
    ("deepseek_v3-tp2", "deepseek_v3", dict(num_key_value_heads=4, q_lora_rank=32, kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16, n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=32, first_k_dense_replace=1, n_group=1, topk_group=1), 2, False),
]
BASE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, vocab_size=256, tie_word_embeddings=False)

RANK_SCRIPT = r'''
import json, sys, torch, torch.distributed as dist
from torch.testing._internal.distributed.fake_pg import FakeStore
rank, world, path, ep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
dist.init_process_group("fake", store=FakeStore(), rank=rank, world_size=world)
try:
    from transformers import DistributedConfig
except ImportError:
    from transformers.distributed import DistributedConfig
from transformers import AutoModelForCausalLM
kw = dict(tp_size=world)
if ep:
    kw["enable_expert_parallel"] = True
model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, distributed_config=DistributedConfig(**kw))
out = {}
for name, p in model.named_parameters():
    pl = getattr(p, "placements", None)
    local = p.to_local() if hasattr(p, "to_local") else p
    out[name] = {"placements": [repr(x) for x in pl] if pl is not None else [], "local_shape": list(local.shape), "global_shape": list(p.shape)}
print("@@" + json.dumps(out))
'''


def main():
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM

    work = tempfile.mkdtemp(prefix="ss-oracle-")
    results = {"torch": torch.__version__, "transformers": transformers.__version__, "base": BASE, "cases": []}
    for name, model_type, over, tp, ep in CASES:
        cfg_kw = {**BASE, **over}
        cfg = AutoConfig.for_model(model_type, **cfg_kw)
        path = os.path.join(work, name)
        torch.manual_seed(0)
        AutoModelForCausalLM.from_config(cfg).save_pretrained(path)
        ranks = []
        for r in range(tp):
            p = subprocess.run([sys.executable, "-c", RANK_SCRIPT, str(r), str(tp), path, "1" if ep else "0"], capture_output=True, text=True, timeout=300)
            line = next((l for l in p.stdout.splitlines() if l.startswith("@@")), None)
            if line is None:
                ranks = None
                print(name, "rank", r, "failed:", p.stderr.strip().splitlines()[-1:] if p.stderr else "", file=sys.stderr)
                break
            ranks.append(json.loads(line[2:]))
        config = json.load(open(os.path.join(path, "config.json")))
        results["cases"].append({"name": name, "model_type": model_type, "config": config, "tp": tp, "expert_parallel": ep, "ranks": ranks})
        print(name, "ok" if ranks else "FAILED", file=sys.stderr)
    out = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/oracle/transformers_tp.json"
    json.dump(results, open(out, "w"), indent=0)


main()
