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


def key_of(x):
    return ("true" if x else "false") if isinstance(x, bool) else str(x)


def per_layer(cfg, field, n, pattern):
    """The configuration's per-layer list when it has one value per layer, else the class's recorded pattern."""
    v = cfg.get(field)
    if isinstance(v, list) and len(v) == n:
        return [key_of(x) for x in v]
    if pattern:
        h, c = pattern["head"], pattern["cycle"]
        out = [h[i] if i < len(h) else c[(i - len(h)) % len(c)] for i in range(n)]
        miss = pattern.get("lastIfMissing")
        if miss is not None and n and miss not in out:
            out[-1] = miss
        return out
    return [key_of(x) for x in v[:n]]


def variant_of(rule, i, cfg, n):
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
        return rule["byValue"][per_layer(cfg, rule["field"], n, rule.get("pattern"))[i]]
    if k == "range_step":
        step = cfg[rule["stepField"]]
        hit = step > 0 and (i + 1) % step == 0 and cfg[rule["startField"]] <= i <= cfg[rule["endField"]]
        return rule["moe"] if hit else rule["dense"]
    if k == "joint":
        keys = []
        for part in rule["parts"]:
            if "step" in part:
                s = cfg[part["step"]]
                keys.append("1" if s > 0 and (i + 1) % s == 0 else "0")
            else:
                keys.append(per_layer(cfg, part["list"], n, part.get("pattern"))[i])
        return rule["byValue"]["|".join(keys)]
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


def present(x, cfg):
    """A module or parameter built only when a field is truthy (or falsy), as its `when` says."""
    w = x.get("when")
    return not w or bool(cfg.get(w["field"])) == (w["is"] == "truthy")


def predict(arch, cfg):
    out = []
    absent = [m["path"] + "." for m in arch["ends"]["modules"] if not present(m, cfg)]
    for p in arch["ends"]["params"]:
        if not p.get("buffer") and present(p, cfg) and not any(p["name"].startswith(a) for a in absent):
            out.append([p["name"], [evaluate(d, cfg) for d in p["shape"]]])
    lay = arch.get("layers")
    layer_params = []
    if lay:
        for i in range(evaluate(lay["count"], cfg)):
            v = lay["variants"][variant_of(lay["rule"], i, cfg, evaluate(lay["count"], cfg))]
            reps = {m["path"]: m["repeat"] for m in v["modules"] if m.get("repeat") and present(m, cfg)}
            # a parameter of a module not built is not built either
            absent = [m["path"] + "." for m in v["modules"] if not present(m, cfg)]
            for p in v["params"]:
                if p.get("buffer") or not present(p, cfg) or any(p["name"].startswith(a) for a in absent):
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
