"""Ground truth for the sharding algebra from real PyTorch DTensor (CPU, no process group needed).

Writes test/fixtures/oracle/dtensor_layouts.json: for each case (global shape, mesh shape, placements)
the local shape and global offset of every rank as PyTorch computes them, and, for 1-D meshes, the
exact global indices each rank holds (from the placement's own tensor split).

Regenerate (outside CI; needs torch):
  python3 -m venv /tmp/oracle && /tmp/oracle/bin/pip install --index-url file:///opt/pypi/simple \
      --extra-index-url file:///opt/pypi-more/simple --find-links /opt/wheels torch==2.13.0+cpu numpy
  /tmp/oracle/bin/python test/oracle/dtensor_layouts.py
"""
import itertools
import json
import random
import sys

import torch
from torch.distributed.tensor import Partial, Replicate, Shard
from torch.distributed.tensor._utils import _compute_local_shape_and_global_offset
from torch.distributed.tensor.placement_types import _StridedShard


def to_torch(p):
    k = p["kind"]
    if k == "shard":
        return Shard(p["dim"])
    if k == "replicate":
        return Replicate()
    if k == "partial":
        return Partial()
    return _StridedShard(p["dim"], split_factor=p["splitFactor"])


def coords(mesh):
    return list(itertools.product(*[range(n) for n in mesh]))


def case(shape, mesh, placements):
    tp = [to_torch(p) for p in placements]
    ranks = []
    for c in coords(mesh):
        try:
            local, off = _compute_local_shape_and_global_offset(list(shape), list(mesh), list(c), tp)
        except Exception as e:  # an invalid combination: record the error class
            return {"shape": shape, "mesh": mesh, "placements": placements, "error": type(e).__name__}
        ranks.append({"coord": list(c), "local_shape": list(local), "global_offset": list(off)})
    out = {"shape": shape, "mesh": mesh, "placements": placements, "ranks": ranks}
    if len(mesh) == 1 and placements[0]["kind"] in ("shard", "strided_shard") and shape[placements[0]["dim"]] <= 64:
        d = placements[0]["dim"]
        view = [shape[d] if i == d else 1 for i in range(len(shape))]
        idx = torch.arange(shape[d]).reshape(view)
        shards, _ = tp[0]._split_tensor(idx, mesh[0], with_padding=False)
        shards = list(shards) + [idx.narrow(d, 0, 0)] * (mesh[0] - len(shards))
        out["indices"] = [s.reshape(-1).tolist() for s in shards]
    return out


def main():
    rnd = random.Random(2026)
    cases = [
        ([5, 3], [4], [{"kind": "shard", "dim": 0}]),
        ([6, 3], [4], [{"kind": "shard", "dim": 0}]),
        ([7, 5], [2, 2], [{"kind": "shard", "dim": 0}, {"kind": "shard", "dim": 0}]),
        ([2, 5], [2, 2], [{"kind": "shard", "dim": 1}, {"kind": "shard", "dim": 1}]),
        ([16], [4], [{"kind": "strided_shard", "dim": 0, "splitFactor": 2}]),
        ([10], [4], [{"kind": "strided_shard", "dim": 0, "splitFactor": 2}]),
        ([8], [2, 2], [{"kind": "strided_shard", "dim": 0, "splitFactor": 2}, {"kind": "shard", "dim": 0}]),
        ([8, 28672, 4096], [8], [{"kind": "strided_shard", "dim": 1, "splitFactor": 2}]),
    ]
    kinds = ["shard", "replicate", "partial", "strided_shard"]
    while len(cases) < 220:
        nd = rnd.randint(1, 3)
        shape = [rnd.randint(0, 13) for _ in range(nd)]
        mesh = [rnd.randint(1, 4) for _ in range(rnd.randint(1, 3))]
        pl = []
        for i in range(len(mesh)):
            k = rnd.choice(kinds)
            if k == "strided_shard" and (len(mesh) > 1 and i < len(mesh) - 1):
                # The FSDP + TP form: strided followed by a plain Shard of the same dim.
                d = rnd.randrange(nd)
                pl.append({"kind": "strided_shard", "dim": d, "splitFactor": mesh[i + 1]})
                pl.append({"kind": "shard", "dim": d})
                break
            if k == "strided_shard":
                pl.append({"kind": "strided_shard", "dim": rnd.randrange(nd), "splitFactor": rnd.randint(1, 3)})
            elif k == "shard":
                pl.append({"kind": "shard", "dim": rnd.randrange(nd)})
            elif k == "partial":
                pl.append({"kind": "partial", "op": "sum"})
            else:
                pl.append({"kind": "replicate"})
        mesh = mesh[: len(pl)]
        cases.append((shape, mesh, pl))
    out = {"torch": torch.__version__, "cases": [case(*c) for c in cases]}
    json.dump(out, open(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/oracle/dtensor_layouts.json", "w"))
    print(len(out["cases"]), "cases,", sum(1 for c in out["cases"] if "error" in c), "errors")


main()
