"""Seeded random configurations of every architecture of a catalog file, with what transformers really does
with them: test/fixtures/oracle/catalog/transformers-<version>.json.

For each architecture, 3 configurations (sizes, head counts that divide, expert counts, tied or not, 2-4
layers, each field that a catalog `when` reads on one side or the other, the same seeds every run), each with every parameter name and global shape transformers builds on
the meta device, and what its own tensor-parallel plan makes of it at tp=2 on PyTorch's fake process group:
each parameter's placements and local shape per rank ("plain" when it is not a DTensor), loaded with
from_pretrained(..., distributed_config=DistributedConfig(tp_size=2)) from a tiny checkpoint. Failures
(building, saving or loading) are recorded with their message: they are ground truth too.

  python random_configs.py --transformers-path <dir> --catalog <catalog json> --out <fixture json>
One process per rank (tp_rank.py) loads every checkpoint, so the imports are paid once per rank.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--transformers-path")
ap.add_argument("--catalog", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--only", help="comma-separated model types (development)")
ARGS = ap.parse_args()
if ARGS.transformers_path:
    sys.path.insert(0, os.path.abspath(ARGS.transformers_path))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

import introspect  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()
SEEDS = (1, 2, 3)
TP = 2


def expr_fields(arch):
    """Every config field the architecture's recorded shapes and layer rule read."""
    import re
    out = set()
    exprs = [d for p in arch["ends"]["params"] for d in p["shape"]]
    lay = arch.get("layers")
    if lay:
        exprs.append(lay["count"])
        exprs += [d for v in lay["variants"].values() for p in v["params"] for d in p["shape"]]
        out |= {v for k, v in lay["rule"].items() if k.endswith("ield") or k == "field"}
    exprs += list((arch.get("derived") or {}).values())
    for e in exprs:
        out |= set(re.findall(r"[A-Za-z_][\w.]*", e))
    return {f for f in out if "." not in f}


def random_kwargs(cls, arch, seed):
    """A small valid configuration: head counts dividing each other, sizes their multiples."""
    rng = random.Random(f"{arch['modelType']}:{seed}")
    fields = introspect.own_fields(cls)
    ints = {k: v for k, v in fields.items() if introspect.is_int(v) or v is None}
    read = expr_fields(arch) | set((arch.get("derived") or {}))
    kw = {}
    heads = rng.choice([2, 4, 8])
    kv = rng.choice([d for d in (1, 2, 4, 8) if heads % d == 0])
    head_dim = rng.choice([8, 16])
    experts = rng.choice([4, 8])

    def put(name, value):
        if name in fields:
            kw[name] = value

    put("num_attention_heads", heads)
    put("num_key_value_heads", kv)
    put("hidden_size", heads * head_dim)
    put("head_dim", head_dim)
    for k in ("num_hidden_layers", "num_layers"):
        put(k, rng.randint(2, 4))
    # an odd vocabulary now and then: tp=2 cannot split it, and the refusal is ground truth too
    put("vocab_size", rng.choice([96, 128, 256, 97]))
    if "tie_word_embeddings" in fields:
        kw["tie_word_embeddings"] = rng.random() < 0.5
    for k, d in ints.items():
        if k in kw or any(k.endswith(w) for w in introspect.TOKEN_WORDS):
            continue
        if k in ("num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts"):
            kw[k] = experts
        elif k in ("num_experts_per_tok", "moe_k", "top_k"):
            kw[k] = rng.choice([1, 2])
        elif k in ("n_shared_experts", "num_shared_experts"):
            kw[k] = rng.choice([1, 2])
        elif k in ("n_group", "topk_group"):
            kw[k] = 1
        elif k in ("first_k_dense_replace",):
            kw[k] = rng.choice([0, 1])
        elif k in ("decoder_sparse_step", "interleave_moe_layer_step", "moe_layer_freq"):
            kw[k] = rng.choice([1, 2])
        elif k == "qk_rope_head_dim":
            kw[k] = 8
        elif k in ("qk_nope_head_dim", "v_head_dim"):
            kw[k] = 16
        elif k in ("kv_lora_rank", "q_lora_rank") and d is not None:
            kw[k] = rng.choice([16, 32])
        elif k in read and introspect.is_int(d) and d >= 16:
            kw[k] = 16 * rng.randint(2, 6)
    d = fields.get("pad_token_id")
    if introspect.is_int(d) and d > 0:
        kw["pad_token_id"] = 0
    # the fields that decide which modules exist (the catalog's `when`): each configuration picks a side
    for k in sorted(when_fields(arch)):
        if k not in fields:
            continue
        d = fields[k]
        if rng.random() < 0.5:  # falsy: false, or the field's own 0/null, else null
            kw[k] = False if isinstance(d, bool) else (d if not d else None)
        elif isinstance(d, bool):
            kw[k] = True
        elif not (introspect.is_int(kw.get(k)) and kw[k] > 0) and not (introspect.is_int(d) and d > 0):
            kw[k] = rng.choice([1, 2]) if "expert" in k or k.startswith(("n_", "num_")) else 16 * rng.randint(1, 4)
    return kw


def when_fields(arch):
    """Every field a `when` of the architecture's modules or parameters reads."""
    scopes = [arch["ends"]] + list((arch.get("layers") or {}).get("variants", {}).values())
    return {x["when"]["field"] for s in scopes for x in s["modules"] + s["params"] if "when" in x}


def meta_params(model_cls, cfg):
    with torch.device("meta"):
        model = model_cls._from_config(cfg)
    return [[n, list(p.shape)] for n, p in model.named_parameters(remove_duplicate=False)]


def err(e):
    s = str(e).strip().splitlines()
    return f"{type(e).__name__}: {s[0] if s else ''}"[:400]


def main():
    t0 = time.time()
    catalog = json.load(open(ARGS.catalog))
    found, _ = introspect.plan_configs()
    work = tempfile.mkdtemp(prefix="ss-catalog-")
    only = set(ARGS.only.split(",")) if ARGS.only else None
    doc = {"transformers": transformers.__version__, "torch": torch.__version__, "tp": TP, "architectures": {}}
    jobs = []
    for mt, arch in sorted(catalog["architectures"].items()):
        if only and mt not in only:
            continue
        cls = found.get(arch["configClass"])
        model_cls, _ = introspect.model_class(cls)
        cases = []
        for seed in SEEDS:
            case = {"seed": seed}
            try:
                kw = random_kwargs(cls, arch, seed)
                case["given"] = kw
                cfg = cls(**kw)
                case["config"] = introspect.json_safe(cfg.to_dict())
                case["params"] = meta_params(model_cls, cfg)
            except Exception as e:
                case["error"] = err(e)
                cases.append(case)
                continue
            path = os.path.join(work, f"{mt}-{seed}")
            try:
                torch.manual_seed(seed)
                model_cls._from_config(cfg, dtype=torch.float32).save_pretrained(path)
                jobs.append({"key": [mt, seed], "path": path, "module": model_cls.__module__, "cls": model_cls.__name__})
            except Exception as e:
                case["tp2"] = {"error": "saving the checkpoint: " + err(e)}
            cases.append(case)
        doc["architectures"][mt] = cases
        print(f"{mt}: built", file=sys.stderr)
    manifest = os.path.join(work, "jobs.json")
    json.dump(jobs, open(manifest, "w"))
    env = dict(os.environ)
    if ARGS.transformers_path:
        env["PYTHONPATH"] = os.path.abspath(ARGS.transformers_path) + os.pathsep + env.get("PYTHONPATH", "")
    procs = [subprocess.Popen([sys.executable, os.path.join(HERE, "tp_rank.py"), str(r), str(TP), manifest, os.path.join(work, f"rank{r}.json")],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"rank{r}.log"), "w")) for r in range(TP)]
    for p in procs:
        p.wait()
    ranks = []
    for r in range(TP):
        try:
            ranks.append(json.load(open(os.path.join(work, f"rank{r}.json"))))
        except Exception as e:
            ranks.append({})
            print(f"rank {r} wrote nothing ({err(e)}); see {work}/rank{r}.log", file=sys.stderr)
    for job in jobs:
        mt, seed = job["key"]
        case = next(c for c in doc["architectures"][mt] if c["seed"] == seed)
        got = [rk.get(f"{mt}-{seed}", {"error": "the rank process did not reach it"}) for rk in ranks]
        errors = [g["error"] for g in got if "error" in g]
        case["tp2"] = {"error": errors[0]} if errors else {"ranks": [g["params"] for g in got]}
    os.makedirs(os.path.dirname(os.path.abspath(ARGS.out)), exist_ok=True)
    with open(ARGS.out, "w") as f:
        json.dump(doc, f, indent=0, sort_keys=False)
        f.write("\n")
    n = sum(len(c) for c in doc["architectures"].values())
    loaded = sum(1 for cs in doc["architectures"].values() for c in cs if "ranks" in c.get("tp2", {}))
    print(f"transformers {doc['transformers']}: {len(doc['architectures'])} architectures, {n} configurations, "
          f"{loaded} loaded at tp={TP}, {n - loaded} failures recorded ({time.time() - t0:.0f}s)")


main()
