"""PyTorch's side of the GPU run's side-by-side figures (test/gpu/run.sh), on the shapes, sizes and layers
the addon's side wrote to torch-spec.json (test/gpu/measure-addon.ts):

- gemm: torch.matmul in bf16 on each [M, K, N];
- kernels: PyTorch's own op for each of the addon's element-wise and attention kernels, and a
  device-to-device copy of the same buffers (the yardstick of achieved bandwidth);
- all_reduce: torch.distributed.all_reduce over a communicator of the same size (NCCL on GPUs, gloo on
  the CPU): per call for the small message, bus bandwidth for the large one on two ranks or more;
- layers: the transformers decoder layer of each example's architecture (its own modeling module, the
  config at the rehearsed widths, fp32, same tokens), forward and, for training plans, backward.

GPU times come from CUDA events around each call (median of the timed repeats after warm-up), as the
addon's come from CUDA events around each op. --device cpu runs every path on the CPU with wall-clock
timers, so that the script is exercised where no GPU is.

Usage: python test/gpu/torch_reference.py --spec OUT/torch-spec.json --out OUT/parts/torch.json
       [--device cuda|cpu] [--only gemm,kernels,all_reduce,layers] [--ranks N]
Exit status: 0 done, 1 a measurement failed (named on stderr), 2 bad arguments or spec.
"""
import argparse
import dataclasses
import importlib
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import traceback

# Each section and the spec key it reads.
SECTIONS = {"gemm": "gemm", "kernels": "kernels", "all_reduce": "allReduce", "layers": "layers"}
WARMUP = 3


def fail_usage(message):
    print(f"torch_reference.py: {message}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    p = argparse.ArgumentParser(description="PyTorch's side of the Shardscope GPU run's figures.")
    p.add_argument("--spec", required=True, help="torch-spec.json written by measure-addon")
    p.add_argument("--out", required=True, help="where to write the JSON of results")
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    p.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections: " + ", ".join(SECTIONS))
    p.add_argument("--ranks", type=int, help="all_reduce communicator size (default: the spec's)")
    a = p.parse_args(argv)
    a.only = [s.strip() for s in a.only.split(",") if s.strip()]
    bad = [s for s in a.only if s not in SECTIONS]
    if bad:
        fail_usage(f"--only: unknown section(s) {', '.join(bad)} (known: {', '.join(SECTIONS)})")
    if a.ranks is not None and a.ranks < 1:
        fail_usage("--ranks must be at least 1")
    try:
        with open(a.spec) as f:
            a.spec_data = json.load(f)
    except OSError as e:
        fail_usage(f"{a.spec}: {e.strerror}")
    except json.JSONDecodeError as e:
        fail_usage(f"{a.spec}:{e.lineno}:{e.colno}: {e.msg}")
    missing = [SECTIONS[s] for s in a.only if SECTIONS[s] not in a.spec_data] + ([] if "repeats" in a.spec_data else ["repeats"])
    if missing:
        fail_usage(f"{a.spec}: no {', '.join(missing)} section")
    return a


class Timer:
    """Times a callable: CUDA events around each call on a GPU, the wall clock on the CPU (µs)."""

    def __init__(self, torch, device):
        self.torch, self.cuda = torch, device == "cuda"

    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    def once(self, fn):
        if self.cuda:
            start, end = self.torch.cuda.Event(enable_timing=True), self.torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) * 1e3
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e6

    def median(self, fn, repeats):
        for _ in range(WARMUP):
            fn()
        self.sync()
        return statistics.median(self.once(fn) for _ in range(max(1, repeats - WARMUP)))


def gemm(torch, timer, device, spec):
    rows = []
    for m, k, n in spec["gemm"]:
        a = torch.randn(m, k, device=device, dtype=torch.bfloat16)
        b = torch.randn(k, n, device=device, dtype=torch.bfloat16)
        us = timer.median(lambda: torch.matmul(a, b), spec["repeats"])
        rows.append({"shape": [m, k, n], "dtype": "bf16", "us": us, "tflops": 2 * m * k * n / us / 1e6})
        del a, b
    return rows


def kernels(torch, timer, device, spec):
    import torch.nn.functional as F

    ks = spec["kernels"]
    r, c, repeats = ks["rows"], ks["cols"], spec["repeats"]
    at = ks["attention"]
    t, hq, hk, d = at["tokens"], at["heads"], at["kvHeads"], at["headDim"]
    x = torch.randn(r, c, device=device)
    y = torch.randn(r, c, device=device)
    z = torch.empty(r, c, device=device)
    xb = torch.empty(r, c, device=device, dtype=torch.bfloat16)
    w = torch.randn(c, device=device)
    # Rotary tables as transformers' Llama applies them: heads of 2·half, rotate_half pairs (i, i + half).
    half = min(64, c // 2)
    inv = 10000 ** (-torch.arange(half, device=device, dtype=torch.float32) / half)
    ang = torch.arange(r, device=device, dtype=torch.float32)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1)[:, None, :], torch.cat([ang.sin()] * 2, -1)[:, None, :]
    xh = x.view(r, c // (2 * half), 2 * half)

    def rope():
        x1, x2 = xh[..., :half], xh[..., half:]
        return xh * cos + torch.cat((-x2, x1), -1) * sin

    q = torch.randn(1, hq, t, d, device=device)
    k = torch.randn(1, hk, t, d, device=device)
    v = torch.randn(1, hk, t, d, device=device)
    sdpa = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    qg, kg, vg = (a.clone().requires_grad_() for a in (q, k, v))
    dy = torch.randn(1, hq, t, d, device=device)

    def sdpa_backward():
        o = F.scaled_dot_product_attention(qg, kg, vg, is_causal=True, enable_gqa=True)
        return timer.once(lambda: o.backward(dy))

    ops = [
        ("device-to-device copy", "Tensor.copy_", lambda: y.copy_(x)),
        ("add", "torch.add", lambda: torch.add(x, y, out=z)),
        ("silu_mul", "F.silu(x) * y", lambda: torch.mul(F.silu(x), y, out=z)),
        ("scale", "torch.mul", lambda: torch.mul(x, 0.5, out=z)),
        ("convert f32→bf16", "Tensor.copy_", lambda: xb.copy_(x)),
        ("rmsnorm", "F.rms_norm", lambda: F.rms_norm(x, (c,), w, 1e-5)),
        ("softmax", "torch.softmax", lambda: torch.softmax(x, -1)),
        ("rope", "q·cos + rotate_half(q)·sin", rope),
        ("attention", "F.scaled_dot_product_attention", sdpa),
    ]
    rows = []
    with torch.no_grad():
        for name, op, fn in ops:
            rows.append({"kernel": name, "torch": op, "us": timer.median(fn, repeats)})
    for _ in range(WARMUP):
        sdpa_backward()
    rows.append({"kernel": "attention_backward", "torch": "scaled_dot_product_attention backward", "us": statistics.median(sdpa_backward() for _ in range(max(1, min(repeats, 5) - 1)))})
    return rows


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def all_reduce_rank(rank, ranks, device, port, small_bytes, large_bytes, calls, result_file):
    """One rank of the all-reduce figures (rank 0 writes them)."""
    import torch
    import torch.distributed as dist

    backend = "nccl" if device == "cuda" else "gloo"
    if device == "cuda":
        torch.cuda.set_device(rank)
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=ranks)
    try:
        dev = torch.device(device, rank) if device == "cuda" else torch.device("cpu")
        timer = Timer(torch, device)
        x = torch.ones(small_bytes // 4, device=dev)
        for _ in range(10):
            dist.all_reduce(x)
        timer.sync()
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(calls):
            dist.all_reduce(x)
        timer.sync()
        per_call = (time.perf_counter() - t0) / calls * 1e6
        event = timer.median(lambda: dist.all_reduce(x), 23)
        out = [{"what": f"all_reduce {small_bytes} B × {ranks} rank(s), per call", "ranks": ranks, "bytes": small_bytes, "calls": calls, "perCallUs": per_call, "eventUs": event, "backend": backend}]
        if ranks >= 2:
            big = torch.ones(large_bytes // 4, device=dev)
            us = []
            for i in range(10):
                dist.barrier()
                timer.sync()
                t = timer.once(lambda: dist.all_reduce(big))
                if i >= WARMUP:
                    us.append(t)
            m = statistics.median(us)
            out.append({"what": f"all_reduce {large_bytes / 2**20:g} MiB × {ranks} ranks, bus bandwidth", "ranks": ranks, "bytes": large_bytes, "us": m, "busGBps": large_bytes / m / 1e3 * 2 * (ranks - 1) / ranks, "backend": backend})
        if rank == 0:
            with open(result_file, "w") as f:
                json.dump(out, f)
    finally:
        dist.destroy_process_group()


def all_reduce(torch, device, spec, ranks):
    import torch.multiprocessing as mp

    ar = spec["allReduce"]
    ranks = ranks or ar["ranks"]
    if device == "cuda" and torch.cuda.device_count() < ranks:
        raise RuntimeError(f"{ranks} ranks asked, {torch.cuda.device_count()} GPUs visible")
    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "all_reduce.json")
        args = (ranks, device, free_port(), ar["smallBytes"], ar["largeBytes"], ar["calls"], result)
        if ranks == 1:
            all_reduce_rank(0, *args)
        else:
            mp.spawn(all_reduce_rank, args=args, nprocs=ranks, join=True)
        with open(result) as f:
            rows = json.load(f)
    if ranks == 1:
        rows.append({"what": "all_reduce 64 MiB bus bandwidth", "status": "not run: one rank (a 1-rank all-reduce moves no data between GPUs)"})
    return rows


def decoder_layer_classes(model_type):
    """The architecture's decoder layer and rotary embedding classes, from its own modeling module."""
    from transformers.models.auto.modeling_auto import MODEL_MAPPING_NAMES

    base = MODEL_MAPPING_NAMES.get(model_type)
    if not base or not base.endswith("Model"):
        raise RuntimeError(f"transformers has no base model for model_type {model_type!r}")
    prefix = base[: -len("Model")]
    module = importlib.import_module(f"transformers.models.{model_type}.modeling_{model_type}")
    return getattr(module, f"{prefix}DecoderLayer"), getattr(module, f"{prefix}RotaryEmbedding")


def floats_as_declared(config_cls, raw):
    """JSON from JavaScript writes 0.0 as 0: a value the config class declares float goes back to float
    (transformers 5 validates the field types)."""

    def is_float(t):
        names = str(t).replace("typing.", "").replace("Optional[", "").replace("]", "")
        parts = {p.strip() for p in names.replace("Union[", "").replace("|", ",").split(",")}
        return (t is float or "float" in parts or "<class 'float'>" in parts) and "int" not in parts and "<class 'int'>" not in parts

    declared = {f.name: f.type for f in dataclasses.fields(config_cls)} if dataclasses.is_dataclass(config_cls) else {}
    return {k: float(v) if type(v) is int and k in declared and is_float(declared[k]) else v for k, v in raw.items()}


def layer_times(torch, timer, device, entry, repeats=6):
    from transformers import CONFIG_MAPPING, AutoConfig

    raw = {k: v for k, v in entry["config"].items() if k not in ("model_type", "architectures", "auto_map", "torch_dtype", "dtype", "quantization_config")}
    config = AutoConfig.for_model(entry["modelType"], **floats_as_declared(CONFIG_MAPPING[entry["modelType"]], raw))
    # What from_pretrained picks by default for these architectures: SDPA attention, grouped_mm experts.
    config._attn_implementation = "sdpa"
    config._experts_implementation = "grouped_mm"
    layer_cls, rotary_cls = decoder_layer_classes(entry["modelType"])
    rotary = rotary_cls(config, device=device)
    t = entry["tokens"]
    h = config.hidden_size
    out = []
    for idx in entry["layers"]:
        # Made on the device itself: a DeepSeek-V3 MoE layer at real widths is 45 GB of fp32 experts.
        with torch.device(device):
            layer = layer_cls(config, layer_idx=idx).to(dtype=torch.float32)
        with torch.no_grad():
            # Parameters made with torch.empty (fused experts) hold garbage until initialised.
            for p in layer.parameters():
                p.normal_(0.0, getattr(config, "initializer_range", 0.02))
            for name, b in layer.named_buffers():
                if b.is_floating_point() and "bias" in name:
                    b.zero_()
        layer.eval()
        hidden = torch.randn(1, t, h, device=device)
        position_ids = torch.arange(t, device=device)[None]
        pos = rotary(hidden, position_ids)

        def forward(x=hidden):
            y = layer(x, attention_mask=None, position_ids=position_ids, position_embeddings=pos)
            return y[0] if isinstance(y, tuple) else y

        with torch.no_grad():
            first = timer.once(forward)
            fwd = timer.median(forward, repeats)
        row = {"layer": idx, "class": layer_cls.__name__, "forwardFirstUs": first, "forwardUs": fwd}
        if entry["backward"]:
            xg = hidden.clone().requires_grad_()
            grad = torch.randn(1, t, h, device=device)

            def backward():
                y = forward(xg)
                timer.sync()
                us = timer.once(lambda: y.backward(grad))
                layer.zero_grad(set_to_none=True)
                return us

            for _ in range(WARMUP):
                backward()
            row["backwardUs"] = statistics.median(backward() for _ in range(max(1, repeats - WARMUP)))
        out.append(row)
        del layer
        if device == "cuda":
            torch.cuda.empty_cache()
    return {"file": entry["file"], "modelType": entry["modelType"], "tokens": t, "dtype": entry["dtype"], "attention": config._attn_implementation, "experts": config._experts_implementation, "layers": out}


def main(argv):
    a = parse_args(argv)
    import torch

    if a.device == "cuda" and not torch.cuda.is_available():
        print("torch_reference.py: --device cuda but torch sees no CUDA GPU (torch.cuda.is_available() is False)", file=sys.stderr)
        return 1
    # fp32 as the rehearsal computes it: no TF32 in matmuls or convolutions (PyTorch's default, made sure).
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    timer = Timer(torch, a.device)
    spec = a.spec_data
    result = {"device": a.device, "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0) if a.device == "cuda" else None}
    try:
        import transformers

        result["transformers"] = transformers.__version__
    except ImportError:
        result["transformers"] = None
    failed = []

    def attempt(name, fn):
        """fn's result, or its error recorded: one failure is reported and the rest still runs."""
        t0 = time.perf_counter()
        try:
            r = fn()
            print(f"torch {name}: done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            return r
        except Exception as e:
            traceback.print_exc()
            failed.append(name)
            print(f"torch {name}: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
            return {"error": f"{type(e).__name__}: {e}"}

    steps = {
        "gemm": lambda: gemm(torch, timer, a.device, spec),
        "kernels": lambda: kernels(torch, timer, a.device, spec),
        "all_reduce": lambda: all_reduce(torch, a.device, spec, a.ranks),
        # One architecture's failure keeps the others' times.
        "layers": lambda: [dict(attempt(f"layers {e['file']}", lambda e=e: layer_times(torch, timer, a.device, e)), file=e["file"]) for e in spec["layers"]],
    }
    for name in a.only:
        result[name] = attempt(name, steps[name])
    result["failed"] = failed
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
