"""CommDebugMode on a tiny Llama that transformers shards with its own tensor-parallel plan (tp=2),
forward and backward, on PyTorch's fake process group (rank 0). The engine's predicted collectives per
module are checked against it.

Writes test/fixtures/trace/comm_debug_mode_llama_tp2.json (generate_json_dump at noise level 0: the
module tree with its collective counts) and test/fixtures/trace/comm_debug_mode_llama_tp2.config.json
(the model's config.json, for the engine to bind the same model).

Regenerate (outside CI; needs torch and transformers):
  /tmp/oracle/bin/python test/oracle/comm_debug_mode_llama.py
"""
import json
import os
import shutil
import sys
import tempfile

import torch
import torch.distributed as dist
from torch.distributed.tensor.debug import CommDebugMode
from torch.testing._internal.distributed.fake_pg import FakeStore

BASE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=256, tie_word_embeddings=False)
OUT = "test/fixtures/trace/comm_debug_mode_llama_tp2"


def main():
    from transformers import AutoConfig, AutoModelForCausalLM
    try:
        from transformers import DistributedConfig
    except ImportError:
        from transformers.distributed import DistributedConfig

    work = tempfile.mkdtemp(prefix="ss-cdm-")
    cfg = AutoConfig.for_model("llama", **BASE)
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(cfg).save_pretrained(work)
    dist.init_process_group("fake", store=FakeStore(), rank=0, world_size=2)
    model = AutoModelForCausalLM.from_pretrained(work, dtype=torch.float32, distributed_config=DistributedConfig(tp_size=2))
    model.train()
    ids = torch.randint(0, BASE["vocab_size"], (1, 8))
    comm = CommDebugMode()
    with comm:
        out = model(input_ids=ids, labels=ids)
        out.loss.backward()
    dump = os.path.join(work, "dump.json")
    comm.generate_json_dump(file_name=dump, noise_level=0)
    shutil.copy(dump, f"{OUT}.json")
    shutil.copy(os.path.join(work, "config.json"), f"{OUT}.config.json")
    totals = {str(k).split(".")[-1]: v for k, v in comm.get_comm_counts().items()}
    print(f"wrote {OUT}.json: totals {totals}", file=sys.stderr)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
