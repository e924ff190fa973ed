"""CommDebugMode's own JSON dump of a toy tensor-parallel transformer, forward and backward, as a fixture.

Writes test/fixtures/trace/comm_debug_mode_torch.json (what `CommDebugMode.generate_json_dump` writes, as
it is) and test/fixtures/trace/comm_debug_mode_torch.expected.json (PyTorch's own counts from the same
run: `get_comm_counts()` and `comm_module_counts` per module, forward and backward), so the importer is
checked against the real layout and the real numbers.

The model: an embedding split by rows, two blocks of attention-like (q, k, v colwise, o rowwise) and MLP
(up colwise, down rowwise) modules, and a colwise lm_head gathered back, on a 1-D mesh of 2 ranks of
PyTorch's fake process group (collectives are no-ops with their real shapes; rank 0 is recorded).

Regenerate (outside CI; needs torch):
  /tmp/oracle/bin/python test/oracle/comm_debug_mode.py
"""
import json
import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Replicate, Shard
from torch.distributed.tensor.debug import CommDebugMode
from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module
from torch.testing._internal.distributed.fake_pg import FakeStore

WORLD = 2
DIM, HIDDEN, VOCAB = 16, 32, 64


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(DIM, DIM, bias=False)
        self.k_proj = nn.Linear(DIM, DIM, bias=False)
        self.v_proj = nn.Linear(DIM, DIM, bias=False)
        self.o_proj = nn.Linear(DIM, DIM, bias=False)

    def forward(self, x):
        return self.o_proj(torch.relu(self.q_proj(x)) * self.k_proj(x) + self.v_proj(x))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.up_proj = nn.Linear(DIM, HIDDEN, bias=False)
        self.down_proj = nn.Linear(HIDDEN, DIM, bias=False)

    def forward(self, x):
        return self.down_proj(torch.relu(self.up_proj(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.self_attn = Attention()
        self.mlp = MLP()

    def forward(self, x):
        x = x + self.self_attn(x)
        return x + self.mlp(x)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, DIM)
        self.layers = nn.ModuleList([Block(), Block()])
        self.lm_head = nn.Linear(DIM, VOCAB, bias=False)

    def forward(self, ids):
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(x)


PLAN = {
    "embed_tokens": RowwiseParallel(input_layouts=Replicate()),
    "layers.*.self_attn.q_proj": ColwiseParallel(),
    "layers.*.self_attn.k_proj": ColwiseParallel(),
    "layers.*.self_attn.v_proj": ColwiseParallel(),
    "layers.*.self_attn.o_proj": RowwiseParallel(),
    "layers.*.mlp.up_proj": ColwiseParallel(),
    "layers.*.mlp.down_proj": RowwiseParallel(),
    "lm_head": ColwiseParallel(output_layouts=Replicate()),
}


def short(op):
    """`c10d_functional.all_reduce` → `all_reduce`, as PyTorch's op packets print."""
    return str(op).split(".")[-1]


def main():
    dist.init_process_group("fake", store=FakeStore(), rank=0, world_size=WORLD)
    torch.manual_seed(0)
    mesh = init_device_mesh("cpu", (WORLD,))
    model = parallelize_module(Model(), mesh, PLAN)
    ids = torch.randint(0, VOCAB, (2, 8))
    comm = CommDebugMode()
    with comm:
        out = model(ids)
        out.sum().backward()
    base = "test/fixtures/trace/comm_debug_mode_torch"
    with tempfile.TemporaryDirectory() as tmp:
        # the default noise level (3): module types, parameters with their placements, every operation
        dump = os.path.join(tmp, "dump.json")
        comm.generate_json_dump(file_name=dump)
        with open(dump) as f:
            text = f.read()
    with open(f"{base}.json", "w") as f:
        f.write(text)
    expected = {
        "torch": torch.__version__,
        "world_size": WORLD,
        "totals": {short(k): v for k, v in comm.get_comm_counts().items()},
        "modules": {
            fqn: {p: {short(k): v for k, v in c[p].items()} for p in ("forward", "backward")}
            for fqn, c in comm.comm_module_counts.items()
        },
    }
    with open(f"{base}.expected.json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {base}.json and {base}.expected.json: totals {expected['totals']}", file=sys.stderr)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
