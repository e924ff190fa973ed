"""One rank of random_configs.py: loads every checkpoint of the manifest with transformers' own tensor-parallel
plan on PyTorch's fake process group and writes each parameter's placements and local shape.

  python tp_rank.py <rank> <world> <manifest.json> <out.json>
"""
import importlib
import json
import sys

import torch
import torch.distributed as dist
from torch.testing._internal.distributed.fake_pg import FakeStore

rank, world, manifest, out_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
dist.init_process_group("fake", store=FakeStore(), rank=rank, world_size=world)
try:
    from transformers import DistributedConfig
except ImportError:
    from transformers.distributed import DistributedConfig
from transformers.utils import logging as hf_logging

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

out = {}
for job in json.load(open(manifest)):
    key = f"{job['key'][0]}-{job['key'][1]}"
    try:
        cls = getattr(importlib.import_module(job["module"]), job["cls"])
        model = cls.from_pretrained(job["path"], dtype=torch.float32, distributed_config=DistributedConfig(tp_size=world))
        params = {}
        for name, p in model.named_parameters(remove_duplicate=False):
            placements = getattr(p, "placements", None)
            if placements is None:
                params[name] = "plain"
            else:
                params[name] = {"placements": [repr(x) for x in placements], "local": list(p.to_local().shape)}
        out[key] = {"params": params}
        del model
    except Exception as e:
        lines = str(e).strip().splitlines()
        out[key] = {"error": f"{type(e).__name__}: {lines[0] if lines else ''}"[:400]}
    print(key, "error" if "error" in out[key] else "ok", file=sys.stderr, flush=True)
    with open(out_path, "w") as f:  # written after each, so a crash keeps what was loaded
        json.dump(out, f)
