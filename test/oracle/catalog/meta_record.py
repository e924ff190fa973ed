"""One architecture's catalog entry from models built on the meta device (see generate.py)."""
import random

import torch

import introspect
from exprs import Solver
from layer_rules import find_rule
from roles import end_role, layer_role, variant_flow

SEEDS = (11, 23, 37, 41, 59, 71)
N_SOLVE = 3


def build(model_cls, cfg):
    with torch.device("meta"):
        if hasattr(model_cls, "_from_config"):
            return model_cls._from_config(cfg)
        return model_cls(cfg)


def tree(model):
    """modules [(path, class)], params [(name, shape, buffer)] of a built model."""
    mods = [(p, type(m).__name__) for p, m in model.named_modules()]
    params = [(n, tuple(t.shape), False) for n, t in model.named_parameters(remove_duplicate=False)]
    for p, m in model.named_modules():
        for b, t in m._buffers.items():
            if t is not None and b not in m._non_persistent_buffers_set:
                params.append((f"{p}.{b}" if p else b, tuple(t.shape), True))
    return mods, params


def find_layers(model, mods, params):
    """Path of the decoder layers' ModuleList: the not-nested ModuleList holding the most parameters."""
    lists = [p for p, c in mods if c == "ModuleList"]
    top = [p for p in lists if not any(p != q and p.startswith(q + ".") for q in lists)]
    def weight(p):
        return sum(1 for n, _, _ in params if n.startswith(p + "."))
    named = [p for p in top if p.rsplit(".", 1)[-1] in ("layers", "h", "layer", "blocks")]
    cands = named or top
    return max(cands, key=weight) if cands else None


def split(mods, params, lp, n_layers):
    """ends (modules, params) and per layer (modules, params), paths relative to their scope."""
    ends_m = [(p, c) for p, c in mods if not (lp and p.startswith(lp + "."))]
    ends_p = [x for x in params if not (lp and x[0].startswith(lp + "."))]
    layers = []
    for i in range(n_layers):
        pre = f"{lp}.{i}"
        lm = [(p[len(pre) + 1:] if p != pre else "", c) for p, c in mods if p == pre or p.startswith(pre + ".")]
        lpar = [(n[len(pre) + 1:], s, b) for n, s, b in params if n.startswith(pre + ".")]
        layers.append(collapse_experts(lm, lpar))
    return (ends_m, ends_p), layers


def collapse_experts(lm, lpar):
    """A ModuleList of identical experts (4.x's per-expert modules) written once, its index as {e}:
    (modules, params, {list path: expert count})."""
    reps = {}
    for p, c in list(lm):
        if c != "ModuleList" or p.rsplit(".", 1)[-1] != "experts":
            continue
        kids = sorted({q[len(p) + 1:].split(".")[0] for q, _ in lm if q.startswith(p + ".")}, key=int)

        def sub(k):
            pre = f"{p}.{k}"
            return ([(q[len(pre):], cc) for q, cc in lm if q == pre or q.startswith(pre + ".")],
                    [(n[len(pre):], s, b) for n, s, b in lpar if n.startswith(pre + ".")])
        if not kids or any(sub(k) != sub(kids[0]) for k in kids):
            continue
        first = f"{p}.{kids[0]}"
        keep = lambda q: not q.startswith(p + ".") or q == first or q.startswith(first + ".")
        rename = lambda q: (p + ".{e}" + q[len(first):]) if q == first or q.startswith(first + ".") else q
        lm = [(rename(q), cc) for q, cc in lm if keep(q)]
        lpar = [(rename(n), s, b) for n, s, b in lpar if keep(n)]
        reps[p] = len(kids)
    return lm, lpar, reps


class RowSolvers:
    """A Solver per subset of configurations (a layer variant may be absent from some)."""

    def __init__(self, rows, primary, frozen_values=(), divisible=False):
        self.rows, self.cache, self.primary, self.frozen_values = rows, {}, primary, set(frozen_values)
        self.divisible = divisible

    def solve(self, idx, vec):
        idx = tuple(idx)
        if len(idx) < 3:
            return None, "seen in fewer than 3 configurations"
        if len(set(vec)) == 1 and vec[0] in self.frozen_values:
            return None, f"constant {vec[0]}, the default of a field this version would not let vary"
        if idx not in self.cache:
            rows = [self.rows[i] for i in idx]
            ns = max(2, len(rows) - 2) if len(rows) < 6 else N_SOLVE
            fields = sorted(set.intersection(*(set(r) for r in rows)))
            self.cache[idx] = Solver(fields, rows[:ns], rows[ns:], self.primary, self.divisible)
        return self.cache[idx].solve(vec)


def solve_params(solvers, idx, per_row_params, where):
    """per_row_params: for each row in idx, [(name, shape, buffer)] with the same names in the same order."""
    out, unknown = [], []
    first = per_row_params[0]
    for k, (name, shape, buf) in enumerate(first):
        dims = []
        for d in range(len(shape)):
            vec = [rp[k][1][d] for rp in per_row_params]
            expr, why = solvers.solve(idx, vec)
            if expr is None:
                unknown.append(f"{where}{name}[{d}]: {why}")
            dims.append(expr)
        entry = {"name": name, "shape": dims}
        if buf:
            entry["buffer"] = True
        out.append(entry)
    return out, unknown


def plans_of(cls, model_cls, models):
    P = {}
    tp = getattr(cls, "base_model_tp_plan", None)
    if tp:
        P["tp"] = dict(tp)
    ep = getattr(cls, "base_model_ep_plan", None)
    if ep:
        P["ep"] = dict(ep)
    pp = getattr(cls, "base_model_pp_plan", None)
    if pp:
        P["pp"] = {k: [list(v[0]), list(v[1])] for k, v in pp.items()}
    ctp = getattr(model_cls, "_tp_plan", None)
    if isinstance(ctp, dict) and ctp:
        P["classTp"] = dict(ctp)
    # the entry the configuration adds to its instance plan when the embeddings are tied
    if "tie_word_embeddings" in introspect.own_fields(cls) or hasattr(cls(), "tie_word_embeddings"):
        on = getattr(cls(tie_word_embeddings=True), "base_model_tp_plan", None) or {}
        off = getattr(cls(tie_word_embeddings=False), "base_model_tp_plan", None) or {}
        added = {k: v for k, v in on.items() if off.get(k) != v}
        if added:
            P["tiedEmbedding"] = added
    P["epReplacesTp"] = ep_replaces_tp(models[0])
    return P


def ep_replaces_tp(model):
    """What the version's model does with expert parallelism on: its plan is the ep plan alone."""
    try:
        from transformers.distributed import DistributedConfig
    except ImportError:
        from transformers import DistributedConfig
    tp = dict(getattr(model, "_tp_plan", None) or {})
    ep = dict(getattr(model, "_ep_plan", None) or {})
    if not ep or not tp or tp == ep:
        return version_ep_replaces_tp()
    model.config.distributed_config = DistributedConfig(enable_expert_parallel=True)
    try:
        plan = dict(model.tp_plan)
    finally:
        del model.config.distributed_config
    return plan == ep


_VERSION_EP = []


def version_ep_replaces_tp():
    """The version's behaviour, observed on a tiny Mixtral (it has both plans)."""
    if not _VERSION_EP:
        from transformers import MixtralConfig, MixtralForCausalLM
        cfg = MixtralConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                            num_key_value_heads=2, num_local_experts=2, vocab_size=32)
        _VERSION_EP.append(ep_replaces_tp(build(MixtralForCausalLM, cfg)))
    return _VERSION_EP[0]


def tied_pairs(model_cls, cls, kw):
    """[tied, source] parameter pairs that share one tensor when tie_word_embeddings is true."""
    try:
        model = build(model_cls, cls(**{**kw, "tie_word_embeddings": True}))
    except Exception:
        return None
    model.tie_weights() if hasattr(model, "tie_weights") else None
    seen, pairs = {}, []
    for n, t in model.named_parameters(remove_duplicate=False):
        if id(t) in seen:
            pairs.append([n, seen[id(t)]])
        else:
            seen[id(t)] = n
    return pairs


def fusion_of(model):
    try:
        from transformers.conversion_mapping import extract_weight_conversions_for_model
    except ImportError:
        try:
            from transformers.conversion_mapping import get_checkpoint_conversion_mapping
        except ImportError:
            return None, None
        extract_weight_conversions_for_model = lambda m: get_checkpoint_conversion_mapping(m.config.model_type)
    convs = extract_weight_conversions_for_model(model) or []
    fusion, renames = [], []
    for c in convs:
        src = [s.lstrip(".") for s in (c.source_patterns if isinstance(c.source_patterns, list) else [c.source_patterns])]
        tgt = [s.lstrip(".") for s in (c.target_patterns if isinstance(c.target_patterns, list) else [c.target_patterns])]
        ops = list(getattr(c, "operations", None) or [])
        if not ops:
            renames.extend([s, t] for s, t in zip(src, tgt))
            continue
        names = [type(o).__name__ for o in ops]
        if "MergeModulelist" not in names or len(tgt) != 1:
            continue
        cat = next((o for o in ops if type(o).__name__ == "Concatenate"), None)
        merge = next(o for o in ops if type(o).__name__ == "MergeModulelist")
        fusion.append({"checkpoint": src, "into": tgt[0], "dim": getattr(cat or merge, "dim"),
                       "ops": [f"{type(o).__name__}(dim={getattr(o, 'dim', None)})" for o in ops]})
    return fusion or None, renames or None


def variant_names(keys, moe_keys):
    if len(keys) == 1:
        return {keys[0]: "decoder"}
    if len(keys) == 2 and len(moe_keys) == 1:
        return {k: ("moe" if k in moe_keys else "dense") for k in keys}
    return {k: f"v{i}" for i, k in enumerate(keys)}


def flat(kw):
    out = {}
    for k, v in kw.items():
        if isinstance(v, dict):
            out.update({f"{k}.{s}": x for s, x in v.items()})
        else:
            out[k] = v
    return out


def _names_of(expr):
    import re
    return set(re.findall(r"[A-Za-z_][\w.]*", expr))


def derive(kwA, rowsA):
    """Fields a configuration computes when not given ({field: expression}, and every such field's name),
    from configurations built without them."""
    given = set(kwA[0])
    common = set.intersection(*(set(r) for r in rowsA))
    names = sorted(k for k in common if "." not in k and k not in given)
    kept = {k for k in given if all(r.get(k) == kw.get(k) for r, kw in zip(rowsA, kwA))}
    derived = {}
    # a second pass may use fields derived in the first (linear_value_head_dim = 2*linear_key_head_dim);
    # the catalog's derived fields are computed in order, so those come first
    for _ in range(2):
        solver = Solver(sorted((given | set(derived)) & common), rowsA[:N_SOLVE], rowsA[N_SOLVE:], kept)
        for k in names:
            if k in derived:
                continue
            expr, _ = solver.solve([r[k] for r in rowsA])
            if expr is not None and not expr.isdigit() and k not in _names_of(expr):
                derived[k] = expr
    return derived, names


def configs_and_models(cls, model_cls, fields, divisible, frozen=(), given_too=()):
    # derived fields: what the configuration computes when a field is not given
    kwA = [introspect.sample_kwargs(cls, s, None, divisible, frozen=frozen) for s in SEEDS]
    cfgA = [cls(**kw) for kw in kwA]
    rowsA = [introspect.resolved_ints(c) for c in cfgA]
    derived, derived_names = derive(kwA, rowsA)
    settable = [k for k in derived_names if k in fields] + [k for k in given_too if k not in derived_names]
    kwB = [introspect.sample_kwargs(cls, s, settable, divisible, frozen=frozen) for s in SEEDS]
    cfgB = [cls(**kw) for kw in kwB]
    rows = [introspect.resolved_ints(c) for c in cfgB]
    models = [build(model_cls, c) for c in cfgB]
    return derived, kwB, cfgB, rows, models


def describe(trees, counts, lp, cfgs, solvers, base_prefix_path, causal):
    """ends, layers and why the flow is not standard, from the module trees of several configurations;
    (None, why) when a dimension is not solved or the structure is not the same in every configuration."""
    n_rows = len(trees)
    unknown = []
    splits = [split(mo, pa, lp, n) for (mo, pa), n in zip(trees, counts or [0] * len(trees))]
    names0 = [(n, b) for n, _, b in splits[0][0][1]]
    if any([(n, b) for n, _, b in s[0][1]] != names0 for s in splits):
        return None, "the modules outside the decoder layers differ between configurations"
    ends_params, unk = solve_params(solvers, range(n_rows), [s[0][1] for s in splits], "")
    unknown += unk
    ends_modules = [{"path": p, "class": c, "role": end_role(p, c, base_prefix_path, lp, causal)} for p, c in splits[0][0][0]]
    out = {"ends": {"modules": ends_modules, "params": ends_params}}
    why_not = []
    if lp:
        # variants: layers grouped by structure, matched across configurations by structure and order
        keys, per_row = [], []
        for s in splits:
            seen = {}
            ids = []
            for lm, lpar, reps in s[1]:
                skey = (tuple(lm), tuple((n, b) for n, _, b in lpar))
                shapes = tuple(sh for _, sh, _ in lpar) + tuple(sorted(reps.items()))
                sub = seen.setdefault(skey, [])
                if shapes not in sub:
                    sub.append(shapes)
                vid = (skey, sub.index(shapes))
                if vid not in keys:
                    keys.append(vid)
                ids.append(vid)
            per_row.append(ids)
        moe_keys = [k for k in keys if any(p.endswith("experts") or p == "experts" for p, _ in k[0][0])]
        vnames = variant_names(keys, moe_keys)
        variants = {}
        for k in keys:
            idx = [r for r, ids in enumerate(per_row) if k in ids]
            insts = [splits[r][1][per_row[r].index(k)] for r in idx]
            params, unk = solve_params(solvers, idx, [i[1] for i in insts], f"{vnames[k]}:")
            unknown += unk
            lm = insts[0][0]
            moe_paths = {p.rsplit(".", 1)[0] for p, _ in lm if p.endswith(".experts") or p == "experts"}
            moe_paths = {p for p in moe_paths if "." not in p} or moe_paths
            modules = [{"path": p, "class": c, "role": layer_role(p, c, moe_paths)} for p, c in lm]
            for mod in modules:
                if mod["path"] in insts[0][2]:
                    expr, why = solvers.solve(idx, [i[2][mod["path"]] for i in insts])
                    if expr is None:
                        unknown.append(f"{vnames[k]}:{mod['path']} count: {why}")
                    mod["repeat"] = expr
            variants[vnames[k]] = {"modules": modules, "params": params}
            w = variant_flow(modules, params)
            if w:
                why_not.append(f"{vnames[k]} layers: {w}")
        count, why = solvers.solve(range(n_rows), counts)
        if count is None:
            unknown.append(f"layer count: {why}")
        observed = [(c, [vnames[k] for k in ids]) for c, ids in zip(cfgs, per_row)]
        moe_name = next((vnames[k] for k in moe_keys), None) if len(moe_keys) == 1 else None
        rule, why = find_rule(observed, moe_name)
        if rule is None:
            why_not.append(why)
        else:
            out["layers"] = {"path": lp, "count": count, "variants": variants, "rule": rule}
    else:
        why_not.append("no decoder layer list")
    if unknown:
        return None, "unsolved dimensions: " + "; ".join(unknown[:3]) + (f" (+{len(unknown) - 3} more)" if len(unknown) > 3 else "")

    # flow
    roles = {m["role"] for m in ends_modules}
    owners = {p["name"].rsplit(".", 1)[0] for p in ends_params if "." in p["name"]}
    strange = sorted(m["path"] for m in ends_modules if m["role"] == "other" and m["path"] in owners)
    if strange:
        why_not.insert(0, f"modules outside the decoder layers that the standard flow lacks: {', '.join(strange[:4])}")
    if "embedding" not in roles:
        why_not.append("no token embedding")
    out["why_not"] = why_not
    return out, None


# Fields a configuration class may lack that its model still reads when a checkpoint's config.json has them
# (Qwen3-MoE 5.x: getattr(config, "head_dim", hidden_size // num_attention_heads)).
MODEL_READ_FIELDS = ("head_dim",)


def model_read_fields(cls, model_cls, kwB, rows, models, divisible):
    """When the model reads such a field: (derived {field: what the model uses without it}, and the
    configurations, rows and models rebuilt with it given); None when it does not."""
    return read_fields_by(lambda kw: cls(**kw), lambda c: build(model_cls, c), lambda m: tree(m)[1],
                          introspect.resolved_ints, kwB, rows, models, divisible)


def read_fields_by(make_cfg, make_model, params_of, ints_of, kwB, rows, models, divisible):
    """model_read_fields for any way of making configurations and models (built, or run from source)."""
    extra = [f for f in MODEL_READ_FIELDS if f not in rows[0]]
    if not extra:
        return None

    def taken(kw):
        """Values (and their prime factors) a configuration already uses, so the new field's stays distinct."""
        vals = [v for v in flat(kw).values() if introspect.is_int(v)]
        return set(vals) | {v // 120 for v in vals} | {v // 2 for v in vals}
    rng_kw = [dict(kw, **{f: introspect.varied_value(f, None, random.Random(s), taken(kw), divisible) for f in extra})
              for kw, s in zip(kwB, SEEDS)]
    try:
        cfg2 = [make_cfg(kw) for kw in rng_kw]
        models2 = [make_model(c) for c in cfg2]
    except Exception:
        return None
    p1 = [[(n, s) for n, s, _ in params_of(m)] for m in models]
    p2 = [[(n, s) for n, s, _ in params_of(m)] for m in models2]
    if [[n for n, _ in p] for p in p1] != [[n for n, _ in p] for p in p2]:
        return None
    rows2 = [ints_of(c) for c in cfg2]
    derived = {}
    for f in extra:
        want = [r.get(f) for r in rows2]
        d2 = [dict(p) for p in p2]
        common = [n for n, _ in p2[0] if all(n in d for d in d2)]
        d1 = [dict(p) for p in p1]
        field_vecs = {tuple(r.get(k) for r in rows2) for k in rows2[0]}
        used = None
        # a dimension that is the field times a configuration field (1 included) with it given ...
        for n in common:
            for d in range(len(d2[0][n])):
                dims2 = [x[n][d] for x in d2]
                if any(a % b for a, b in zip(dims2, want)):
                    continue
                factor = tuple(a // b for a, b in zip(dims2, want))
                if factor == (1,) * len(factor) or factor in field_vecs:
                    used = (n, d, factor)
                    break
            if used:
                break
        if used is None:
            continue  # the model does not read it
        # ... is, without it, that factor times what the model uses instead
        n, d, factor = used
        dims1 = [x[n][d] for x in d1]
        if any(a % b for a, b in zip(dims1, factor)):
            return None
        expr, _ = RowSolvers(rows, set(kwB[0])).solve(range(len(rows)), [a // b for a, b in zip(dims1, factor)])
        if expr is None:
            return None
        derived[f] = expr
    if not derived:
        return None
    return derived, rng_kw, cfg2, rows2, models2


def record(cls):
    model_cls, causal = introspect.model_class(cls)
    if model_cls is None:
        return None, "no model class for this configuration"
    fields = introspect.own_fields(cls)
    defaults_cfg = cls()
    got, errors = None, []
    # the version may refuse some combinations of values: sizes that head counts do not divide, then one
    # field it will not let vary (kept at its default, and no dimension may be read as a literal equal to it)
    # and a head_dim the class leaves None that its model cannot do without (Ministral 5.x)
    attempts = [(d, (), ()) for d in (False, True)]
    attempts += [(d, (), (f,)) for d in (False, True) for f in MODEL_READ_FIELDS if f in fields]
    attempts += [(d, (f,), ()) for d in (False, True) for f in introspect.int_fields(cls)]
    for divisible, frozen, given_too in attempts:
        try:
            got = configs_and_models(cls, model_cls, fields, divisible, frozen, given_too)
            break
        except Exception as e:
            if len(errors) < 2:
                errors.append(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    if got is None:
        return None, " / ".join(errors)
    derived, kwB, cfgB, rows, models = got
    rows = [{k: v for k, v in r.items() if k not in frozen} for r in rows]
    try:
        got = model_read_fields(cls, model_cls, kwB, rows, models, divisible)
    except Exception:
        got = None  # the class refuses the field: its model is described without it
    if got:
        derived.update(got[0])
        kwB, cfgB, rows, models = got[1:]
    base_prefix = getattr(model_cls, "base_model_prefix", "") or ""
    if not causal or not hasattr(models[0], base_prefix):
        base_prefix_path = ""
    else:
        base_prefix_path = base_prefix
    trees = [tree(m) for m in models]
    # the fields given and kept as given (a configuration may overwrite a given field from others)
    primary = set()
    for k, v in kwB[0].items():
        primary |= {f"{k}.{s}" for s in v} if isinstance(v, dict) else {k}
    primary = {k for k in primary if all(r.get(k) == flat(kw).get(k) for r, kw in zip(rows, kwB))}
    solvers = RowSolvers(rows, primary, {getattr(cfgB[0], f) for f in frozen if introspect.is_int(getattr(cfgB[0], f, None))}, divisible)
    lp = find_layers(models[0], *trees[0])
    counts = [len(m.get_submodule(lp)) for m in models] if lp else []
    got, why = describe(trees, counts, lp, cfgB, solvers, base_prefix_path, causal)
    if got is None:
        return None, why
    why_not = got.pop("why_not")
    arch = {
        "modelType": cls.model_type, "configClass": cls.__name__,
        "causalLm": model_cls.__name__ if causal else None, "basePrefix": base_prefix,
        "derivation": "meta-device",
        "attributeMap": dict(getattr(cls, "attribute_map", {}) or {}),
        "defaults": introspect.json_safe(defaults_cfg.to_dict()),
    }
    if derived:
        arch["derived"] = derived
    subs = introspect.sub_config_classes(cls)
    text = [k for k in subs if k == "text_config"]
    if text:
        arch["textConfig"] = text[0]
    arch["plans"] = plans_of(cls, model_cls, models)

    arch.update(got)
    if "tie_word_embeddings" in fields or hasattr(defaults_cfg, "tie_word_embeddings"):
        pairs = tied_pairs(model_cls, cls, kwB[0])
        if pairs:
            arch["tied"] = pairs
    fusion, renames = fusion_of(models[0])
    if fusion:
        arch["fusion"] = fusion
    if renames:
        arch["checkpointRenames"] = renames

    if subs:
        why_not.insert(0, f"composite configuration ({', '.join(sorted(subs))})")
    arch["flow"] = {"standard": False, "why": "; ".join(why_not)} if why_not else {"standard": True}
    return arch, None
