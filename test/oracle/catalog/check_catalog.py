"""Checks a catalog file against the random configurations' fixture of the same version: for every
configuration, the parameters the catalog predicts (ends, then each layer's variant by the layer rule,
every shape evaluated over the resolved configuration) must be exactly the parameters transformers built.
Plain Python, no torch:

  python3 check_catalog.py <catalog json> <fixture json>
Prints one line per mismatching configuration and a closing 'N passed, N failed' line; exit 1 on a mismatch.
"""
import json
import re
import sys

TOKEN = re.compile(r"\d+|[A-Za-z_][\w.]*|//|[-+*()]")


def evaluate(expr, cfg):
    """An expression of the catalog's grammar (ints, fields, + - * //, parentheses) over config values."""
    out = []
    for t in TOKEN.findall(expr):
        if t[0].isalpha() or t[0] == "_":
            v = cfg
            for part in t.split("."):
                v = v.get(part) if isinstance(v, dict) else None
            if not isinstance(v, int) or isinstance(v, bool):
                raise KeyError(f"{t} is {v!r}")
            out.append(str(v))
        else:
            out.append(t)
    return eval("".join(out), {"__builtins__": {}})


def resolve(arch, cfg, given):
    cfg = dict(cfg)
    for alias, attr in arch["attributeMap"].items():
        if given.get(attr) is None and given.get(alias) is not None:
            cfg[attr] = given[alias]
    for field, expr in (arch.get("derived") or {}).items():
        if given.get(field) is None:
            try:
                cfg[field] = evaluate(expr, cfg)
            except KeyError:
                pass
    return cfg


def variant_of(rule, i, cfg):
    k = rule["kind"]
    if k == "uniform":
        return rule["variant"]
    if k == "first_k":
        above = i >= cfg[rule["field"]] and (not rule.get("freqField") or i % cfg[rule["freqField"]] == 0)
        return rule["above"] if above else rule["below"]
    if k == "sparse_step":
        step, only = cfg[rule["stepField"]], cfg.get(rule.get("listField") or "", None) or []
        return rule["moe"] if i not in only and step > 0 and (i + 1) % step == 0 else rule["dense"]
    if k == "interleave":
        step = cfg[rule["stepField"]]
        return rule["moe"] if step > 0 and (i + 1) % step == 0 else rule["dense"]
    if k == "layer_types":
        return rule["byValue"][cfg[rule["field"]][i]]
    if k == "index_list":
        vals = cfg[rule["field"]]
        hit = vals[i] if vals and all(isinstance(x, bool) for x in vals) else i in vals
        return rule["moe"] if hit else rule["dense"]
    raise ValueError(k)


def expand(name, reps, cfg):
    """A per-expert parameter name ("mlp.experts.{e}.w1.weight") for every expert index."""
    if "{e}" not in name:
        return [name]
    list_path = name.split(".{e}")[0]
    n = evaluate(reps[list_path], cfg)
    return [name.replace("{e}", str(e)) for e in range(n)]


def predict(arch, cfg):
    out = []
    for p in arch["ends"]["params"]:
        if not p.get("buffer"):
            out.append([p["name"], [evaluate(d, cfg) for d in p["shape"]]])
    lay = arch.get("layers")
    layer_params = []
    if lay:
        for i in range(evaluate(lay["count"], cfg)):
            v = lay["variants"][variant_of(lay["rule"], i, cfg)]
            reps = {m["path"]: m["repeat"] for m in v["modules"] if m.get("repeat")}
            for p in v["params"]:
                if p.get("buffer"):
                    continue
                for n in expand(p["name"], reps, cfg):
                    layer_params.append([f"{lay['path']}.{i}.{n}", [evaluate(d, cfg) for d in p["shape"]]])
    return out, layer_params


def layer_prefixes(arch):
    """Where the layers' parameters are when the catalog records no layer rule: the 'layers' module."""
    return [m["path"] + "." for m in arch["ends"]["modules"] if m["role"] == "layers"] or ["\0"]


def main():
    catalog = json.load(open(sys.argv[1]))["architectures"]
    fixture = json.load(open(sys.argv[2]))["architectures"]
    passed = failed = 0
    for mt, cases in sorted(fixture.items()):
        arch = catalog.get(mt)
        if arch is None or "partial" in arch:
            continue
        for case in cases:
            if "params" not in case:
                continue
            # as the engine resolves it: the catalog's defaults under the given values, then derived fields
            cfg = resolve(arch, {**arch["defaults"], **case["given"]}, case["given"])
            try:
                ends, layers = predict(arch, cfg)
            except Exception as e:
                failed += 1
                print(f"{mt} seed {case['seed']}: {type(e).__name__}: {e}")
                continue
            want = {n: s for n, s in case["params"]}
            if not arch.get("layers"):  # no layer rule recorded: only the parameters outside the layers
                want = {n: s for n, s in want.items() if not any(n.startswith(p) for p in layer_prefixes(arch))}
            got = dict(ends + layers)
            if got != want:
                failed += 1
                wrong = sorted(set(got) ^ set(want))[:3] or [n for n in got if got[n] != want.get(n)][:3]
                print(f"{mt} seed {case['seed']}: differs at {', '.join(wrong)}"
                      + "".join(f" (catalog {got.get(n)}, built {want.get(n)})" for n in wrong[:1]))
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
