"""Flight Recorder dumps from real PyTorch: 4 ranks on gloo, one rank never enters the last collective.

Writes test/fixtures/trace/flight-recorder-torch/pickle/nccl_trace_rank_<r> (the pickle PyTorch dumps by
default, named as TORCH_FR_DUMP_TEMP_FILE names it) and json/nccl_trace_rank_<r>.json (the JSON form of
the same recorder, dumped a moment later), plus expected.json: what each rank recorded, read back with
Python's own pickle.

The run: every rank records with TORCH_FR_BUFFER_SIZE; the default group does an all_reduce, an
all_gather and a broadcast; a group of ranks 0 and 1 does an all_reduce of its own; then ranks 0-2 enter
a last all_reduce that rank 3 never calls. Each rank dumps its recorder with
torch._C._distributed_c10d._dump_fr_trace (pickle) and _dump_fr_trace_json (JSON) and exits without
waiting for the hung collective.

Regenerate (outside CI; needs torch):
  /tmp/oracle/bin/python test/oracle/flight_recorder.py
"""
import json
import os
import pickle
import sys
import tempfile
import time

WORLD = 4
OUT = "test/fixtures/trace/flight-recorder-torch"


def worker(rank, init_file):
    os.environ["TORCH_FR_BUFFER_SIZE"] = "64"
    import torch
    import torch.distributed as dist
    import torch._C._distributed_c10d as c10d

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    pair = dist.new_group([0, 1])
    x = torch.ones(4, 8)
    dist.all_reduce(x)
    out = [torch.empty(4, 8) for _ in range(WORLD)]
    dist.all_gather(out, x)
    dist.broadcast(x, src=0)
    if rank in (0, 1):
        dist.all_reduce(torch.ones(16), group=pair)
    if rank != 3:
        # rank 3 never comes: this one hangs on ranks 0-2
        dist.all_reduce(torch.ones(2, 3), async_op=True)
        time.sleep(2)
    else:
        time.sleep(1)
    with open(os.path.join(OUT, "pickle", f"nccl_trace_rank_{rank}"), "wb") as f:
        f.write(c10d._dump_fr_trace())
    with open(os.path.join(OUT, "json", f"nccl_trace_rank_{rank}.json"), "wb") as f:
        f.write(c10d._dump_fr_trace_json())
    sys.stdout.flush()
    os._exit(0)


def main():
    import torch
    import torch.multiprocessing as mp

    os.makedirs(os.path.join(OUT, "pickle"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "json"), exist_ok=True)
    init_file = os.path.join(tempfile.mkdtemp(), "init")
    procs = [mp.get_context("spawn").Process(target=worker, args=(r, init_file)) for r in range(WORLD)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    expected = {"torch": torch.__version__, "ranks": {}}
    for r in range(WORLD):
        with open(os.path.join(OUT, "pickle", f"nccl_trace_rank_{r}"), "rb") as f:
            dump = pickle.load(f)
        expected["ranks"][str(r)] = [
            {k: e.get(k) for k in ("record_id", "pg_id", "process_group", "collective_seq_id", "profiling_name", "state", "input_sizes", "time_created_ns")}
            for e in dump.get("entries", [])
        ]
        expected["pg_status_" + str(r)] = dump.get("pg_status")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
