"""Ground truth for redistribution from real PyTorch DTensor on the fake process group.

Writes test/fixtures/oracle/dtensor_redistribute.json: for each case (global shape, mesh shape, source and
target placements) the functional collectives DTensor's redistribute issues on rank 0, in order, with the
size of each collective's buffer (nccl-tests' S: all-gather output, reduce-scatter input, all-reduce
buffer, all-to-all send buffer) and its group size; CommDebugMode's per-op counts are recorded beside them
(on a CPU mesh these count the all-gather DTensor falls back to in place of an all-to-all).
The fake process group makes collectives no-ops, but their tensors have their real (padded) shapes.

Regenerate (outside CI; needs torch):
  /tmp/oracle/bin/python test/oracle/dtensor_redistribute.py
"""
import json
import sys

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Partial, Replicate, Shard
from torch.distributed.tensor import placement_types
from torch.distributed.tensor.debug import CommDebugMode
from torch.testing._internal.distributed.fake_pg import FakeStore
from torch.utils._python_dispatch import TorchDispatchMode

WORLD = 4


def to_torch(p):
    k = p["kind"]
    if k == "shard":
        return Shard(p["dim"])
    if k == "replicate":
        return Replicate()
    return Partial()


# Short names as the engine's CollectiveOp.
OPS = {
    "all_gather_into_tensor": "all_gather",
    "reduce_scatter_tensor": "reduce_scatter",
    "all_reduce": "all_reduce",
    "all_to_all_single": "all_to_all",
}


class Recorder(TorchDispatchMode):
    """Logs each functional collective with the element count of nccl-tests' S buffer."""

    def __init__(self):
        super().__init__()
        self.steps = []
        self.paused = False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func._overloadpacket.__name__
        if not self.paused and func.namespace == "_c10d_functional" and name in OPS:
            x = args[0]
            numel = x.numel()
            if name == "all_gather_into_tensor":
                group_size = args[1]
                numel *= group_size
            elif name == "reduce_scatter_tensor":
                group_size = args[2]
            elif name == "all_reduce":
                group_size = None
            else:
                group_size = None
            self.steps.append({"op": OPS[name], "elements": numel, "group_size": group_size})
        return func(*args, **kwargs)


def record_alltoall(recorder):
    """A CPU mesh makes DTensor fall back to all-gather + chunk for Shard→Shard, where NCCL runs an all-to-all
    of the (padded) local tensor: log that all-to-all and hide the fallback's own collectives."""
    original = placement_types.shard_dim_alltoall

    def patched(input, gather_dim, shard_dim, mesh, mesh_dim):
        recorder.steps.append({"op": "all_to_all", "elements": input.numel(), "group_size": mesh.size(mesh_dim)})
        recorder.paused = True
        try:
            return original(input, gather_dim, shard_dim, mesh, mesh_dim)
        finally:
            recorder.paused = False

    placement_types.shard_dim_alltoall = patched
    return original


def sh(d):
    return {"kind": "shard", "dim": d}


R = {"kind": "replicate"}
P = {"kind": "partial", "op": "sum"}

CASES = [
    # 1-D meshes
    ([8, 6], [4], [sh(0)], [R]),
    ([7, 6], [4], [sh(0)], [R]),
    ([5, 3], [4], [sh(0)], [R]),
    ([8, 6], [4], [P], [R]),
    ([8, 6], [4], [P], [sh(0)]),
    ([7, 6], [4], [P], [sh(0)]),
    ([8, 6], [4], [P], [sh(1)]),
    ([8, 8], [4], [sh(0)], [sh(1)]),
    ([8, 6], [4], [sh(1)], [sh(0)]),
    ([7, 5], [4], [sh(0)], [sh(1)]),
    ([8, 6], [4], [R], [sh(0)]),
    ([8, 6], [4], [R], [P]),
    # 2-D meshes
    ([8, 6], [2, 2], [sh(0), sh(0)], [R, sh(0)]),
    ([7, 6], [2, 2], [sh(0), sh(0)], [R, sh(0)]),
    ([8, 6], [2, 2], [sh(0), sh(0)], [R, R]),
    ([7, 5], [2, 2], [sh(0), sh(0)], [R, R]),
    ([8, 6], [2, 2], [P, P], [R, R]),
    ([8, 6], [2, 2], [P, P], [sh(0), sh(1)]),
    ([8, 6], [2, 2], [sh(0), sh(1)], [R, R]),
    ([8, 6], [2, 2], [sh(0), sh(1)], [sh(1), sh(0)]),
    ([8, 6], [2, 2], [sh(0), R], [R, sh(0)]),
    ([8, 6], [2, 2], [R, sh(0)], [sh(0), R]),
    ([8, 6], [2, 2], [sh(0), P], [sh(0), R]),
    ([9, 6], [2, 2], [sh(0), P], [sh(0), sh(1)]),
    ([8, 6], [2, 2], [P, sh(1)], [R, sh(1)]),
    ([8, 6], [2, 2], [sh(1), sh(0)], [sh(0), sh(0)]),
    ([6, 10], [2, 2], [sh(1), sh(1)], [sh(0), R]),
    ([6, 6, 4], [2, 2], [sh(2), sh(0)], [sh(0), sh(1)]),
    ([8, 6], [4, 1], [sh(0), R], [R, R]),
    ([8, 6], [1, 4], [P, sh(0)], [R, R]),
]


def main():
    dist.init_process_group("fake", store=FakeStore(), rank=0, world_size=WORLD)
    out = []
    for shape, mesh_shape, src, dst in CASES:
        mesh = init_device_mesh("cpu", tuple(mesh_shape))
        rec = Recorder()
        comm = CommDebugMode()
        try:
            # Build the source DTensor from a full local tensor of the right local shape for rank 0.
            full = torch.arange(int(torch.tensor(shape).prod()), dtype=torch.float32).reshape(shape)
            dt = DTensor.from_local(full, mesh, [Replicate()] * len(mesh_shape), run_check=False)
            dt = dt.redistribute(mesh, [to_torch(p) if p["kind"] != "partial" else Replicate() for p in src])
            if any(p["kind"] == "partial" for p in src):
                local = dt.to_local()
                dt = DTensor.from_local(local, mesh, [to_torch(p) for p in src], run_check=False, shape=torch.Size(shape), stride=full.stride())
            original = record_alltoall(rec)
            try:
                with comm, rec:
                    dt.redistribute(mesh, [to_torch(p) for p in dst])
            finally:
                placement_types.shard_dim_alltoall = original
            counts = {str(k).split(".")[-1]: v for k, v in comm.get_comm_counts().items()}
            out.append({"shape": shape, "mesh": mesh_shape, "from": src, "to": dst, "steps": rec.steps, "counts": counts})
        except Exception as e:  # a transition PyTorch refuses
            out.append({"shape": shape, "mesh": mesh_shape, "from": src, "to": dst, "error": f"{type(e).__name__}: {e}".splitlines()[0]})
    path = "test/fixtures/oracle/dtensor_redistribute.json"
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "world_size": WORLD, "rank": 0, "cases": out}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(out)} cases to {path}", file=sys.stderr)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
