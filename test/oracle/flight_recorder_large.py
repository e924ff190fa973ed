"""A Flight Recorder JSON dump of some hundred kilobytes from real PyTorch, written where the test asks.

Usage: python test/oracle/flight_recorder_large.py <out-dir> [collectives]
Two gloo ranks record every collective (TORCH_FR_BUFFER_SIZE above the count); they all_reduce
`collectives` times (600 by default: about 300 KB of JSON per rank, whose "entries" come long before
"pg_config" as torch writes the keys sorted), then rank 0 enters one more all_reduce that rank 1 never
calls. Each rank writes <out-dir>/nccl_trace_rank_<r>.json with _dump_fr_trace_json and exits without
waiting for the hung collective. Prints the torch version on success.
"""
import os
import sys
import tempfile
import time

WORLD = 2


def worker(rank, init_file, out, count):
    os.environ["TORCH_FR_BUFFER_SIZE"] = str(count + 100)
    import torch
    import torch.distributed as dist
    import torch._C._distributed_c10d as c10d

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    x = torch.ones(4)
    for _ in range(count):
        dist.all_reduce(x)
    if rank == 0:
        dist.all_reduce(torch.ones(2), async_op=True)  # rank 1 never comes
        time.sleep(1)
    with open(os.path.join(out, f"nccl_trace_rank_{rank}.json"), "wb") as f:
        f.write(c10d._dump_fr_trace_json())
    sys.stdout.flush()
    os._exit(0)


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    import torch
    import torch.multiprocessing as mp

    os.makedirs(out, exist_ok=True)
    init_file = os.path.join(tempfile.mkdtemp(), "init")
    procs = [mp.get_context("spawn").Process(target=worker, args=(r, init_file, out, count)) for r in range(WORLD)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    for r in range(WORLD):
        if not os.path.exists(os.path.join(out, f"nccl_trace_rank_{r}.json")):
            sys.exit(f"rank {r} wrote no dump")
    print(torch.__version__)


if __name__ == "__main__":
    main()
