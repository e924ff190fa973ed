"""One architecture's catalog entry from models built on the meta device (see generate.py)."""
import random

import torch

import introspect
from exprs import Solver
from layer_rules import find_rule, fit_pattern
from roles import NORM_ROLES, end_role, layer_role, traced_norm_roles, variant_flow

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


def list_deriver(cls):
    """derive(field): how the class fills a per-layer list field it is not given, from the layer count alone
    (the other fields at their defaults), fitted as a pattern (layer_rules.fit_pattern)."""
    try:
        count = next((f for f in introspect.own_fields(cls) if introspect.is_count_field(f)), None)
    except (TypeError, ValueError):  # configurations read from source are no classes to sample
        count = None

    def derive(field):
        if count is None:
            return None
        lists = {}
        for n in list(range(2, 14)) + [16, 24, 32, 48]:
            try:
                v = getattr(cls(**{count: n}), field, None)
            except Exception:
                continue
            if isinstance(v, (list, tuple)) and len(v) == n:
                lists[n] = list(v)
        return fit_pattern(lists) if len(lists) >= 6 else None
    return derive


def call_orders(model, lp, n_layers):
    """Each decoder layer's direct children in the order its forward on the meta device calls them
    ([[path relative to the layer]] per layer), or None where that forward does not run on meta."""
    if not lp or not n_layers:
        return None
    seen = [[] for _ in range(n_layers)]
    hooks = []
    layers = model.get_submodule(lp)
    for i in range(n_layers):
        for name, child in layers[i].named_children():
            hooks.append(child.register_forward_pre_hook(
                lambda m, a, i=i, name=name: seen[i].append(name) if name not in seen[i] else None))
    import inspect
    hidden = getattr(model.config, "hidden_size", None)
    if not introspect.is_int(hidden):
        return None
    rotary = next((m for n, m in model.named_modules() if n.endswith("rotary_emb") and not n.startswith(lp + ".")), None)
    try:
        with torch.no_grad():
            x = torch.zeros((1, 4, hidden), device="meta")
            pos = torch.arange(4, device="meta")[None]
            for i in range(n_layers):
                layer = layers[i]
                kinds = getattr(model.config, "layer_types", None)
                kw = {"hidden_states": x, "attention_mask": None, "position_ids": pos, "use_cache": False}
                if rotary is not None:
                    try:
                        kw["position_embeddings"] = rotary(x, pos, kinds[i]) if kinds and "layer_type" in inspect.signature(rotary.forward).parameters else rotary(x, pos)
                    except Exception:
                        pass
                params = inspect.signature(layer.forward).parameters
                if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
                    kw = {k: v for k, v in kw.items() if k in params}
                layer(**kw)
    except Exception:
        return None
    finally:
        for h in hooks:
            h.remove()
    return seen if all(seen) else None


def describe(trees, counts, lp, cfgs, solvers, base_prefix_path, causal, orders=None):
    """ends, layers and why the flow is not standard, from the module trees of several configurations;
    (None, why) when a dimension is not solved or the structure is not the same in every configuration.
    orders: (row, call_orders of that row's model) to place the layer norms by; None: by their names."""
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
            # the norms by where the forward calls them, where it runs on meta (else by their names)
            r_o, seen_o = orders or (0, None)
            at = per_row[r_o].index(k) if seen_o and k in per_row[r_o] else None
            traced = traced_norm_roles(modules, seen_o[at]) if at is not None else None
            for mod in modules:
                if traced and mod["path"] in traced:
                    mod["role"] = traced[mod["path"]]
                elif traced is not None and mod["role"] in NORM_ROLES:
                    mod["role"] = "other"  # named as a layer norm, yet not called where one is
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
        rule, why = find_rule(observed, moe_name, list_deriver(type(cfgs[0])))
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


def toggles(cls, kw0, cfg0):
    """(field, value per seed) pairs that may change which modules exist: each boolean field flipped; each int
    field the configurations set made null, or, where its default is null or 0, given a value."""
    out = []
    for f, d in introspect.own_fields(cls).items():
        if introspect.is_count_field(f) or f.startswith("_") or any(f.endswith(w) for w in introspect.TOKEN_WORDS):
            continue
        v = getattr(cfg0, f, d)
        if isinstance(v, bool):
            out.append((f, [not v] * len(SEEDS)))
        elif introspect.is_int(v) and v > 0 and f in kw0:
            out.append((f, [None] * len(SEEDS)))
        elif v is None or v == 0 and introspect.is_int(d):
            vals = [introspect.varied_value(f, None, random.Random(s * 7 + 1), set(), False) for s in SEEDS]
            out.append((f, vals))
    return out


def merge_items(base, alt, key, when_base, when_alt):
    """base items, those missing from alt marked when_base, with alt's own items (marked when_alt) inserted
    after the item that precedes them in alt."""
    names_alt = {x[key] for x in alt}
    names_base = {x[key] for x in base}
    out = []
    for x in base:
        # an item already conditional came from another field's toggle: this one's models lack it too
        if x[key] not in names_alt and "when" not in x:
            x = dict(x, when=when_base)
        out.append(x)
    for j, x in enumerate(alt):
        if x[key] in names_base:
            continue
        prev = next((alt[k][key] for k in range(j - 1, -1, -1) if alt[k][key] in names_base or any(o[key] == alt[k][key] for o in out)), None)
        at = next((i + 1 for i, o in enumerate(out) if o[key] == prev), 0) if prev is not None else 0
        out.insert(at, dict(x, when=when_alt))
    return out


def with_presence(cls, model_cls, got, kwB, cfgB, trees, lp, base_prefix_path, causal, divisible, frozen):
    """Modules and parameters that exist only for some values of a field (DeepSeek's q_lora_rank=None builds
    q_proj instead of q_a_proj/q_b_proj; attention_bias): the models rebuilt with the field toggled, the
    new items' shapes solved on those rows, both sets recorded with their `when`. Returns the fields used."""
    used = []
    names0 = [n for n, _, _ in trees[0][1]]
    for f, vals in toggles(cls, kwB[0], cfgB[0]):
        try:
            kw_alt = [dict(kw, **{f: v}) for kw, v in zip(kwB, vals)]
            first = build(model_cls, cls(**kw_alt[0]))
            if [n for n, _, _ in tree(first)[1]] == names0:
                continue
            cfgs = [cls(**kw) for kw in kw_alt]
            models = [first] + [build(model_cls, c) for c in cfgs[1:]]
        except Exception:
            continue
        rows = [{k: v for k, v in introspect.resolved_ints(c).items() if k not in frozen} for c in cfgs]
        primary = set()
        for k, v in kw_alt[0].items():
            primary |= {f"{k}.{x}" for x in v} if isinstance(v, dict) else {k}
        primary = {k for k in primary if all(r.get(k) == flat(kw).get(k) for r, kw in zip(rows, kw_alt))}
        solvers = RowSolvers(rows, primary, (), divisible)
        trees2 = [tree(m) for m in models]
        counts = [len(m.get_submodule(lp)) for m in models] if lp else []
        try:
            alt, why = describe(trees2, counts, lp, cfgs, solvers, base_prefix_path, causal)
        except Exception:
            continue
        if alt is None:
            continue
        truthy_alt = bool(vals[0])
        w_alt = {"field": f, "is": "truthy" if truthy_alt else "falsy"}
        w_base = {"field": f, "is": "falsy" if truthy_alt else "truthy"}
        scopes = [(got["ends"], alt["ends"])]
        if "layers" in got:
            la, lb = got["layers"], alt.get("layers")
            if not lb or lb["rule"] != la["rule"] or set(lb["variants"]) != set(la["variants"]):
                continue
            scopes += [(la["variants"][v], lb["variants"][v]) for v in la["variants"]]
        merged = []
        for b, a in scopes:
            mods = merge_items(b["modules"], a["modules"], "path", w_base, w_alt)
            prms = merge_items(b["params"], a["params"], "name", w_base, w_alt)
            merged.append((b, mods, prms))
        for b, mods, prms in merged:
            b["modules"], b["params"] = mods, prms
        used.append(f)
    return used


def layers_elsewhere(lp, base_prefix):
    """Why the layer flow is not traced when the decoder layers are not the base model's `layers`, else None."""
    if lp and lp != f"{base_prefix}.layers":
        return f"decoder layers at {lp}, not under the base model ({base_prefix or 'none'}), where the layer flow is not traced"
    return None


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
    if causal and base_prefix and not hasattr(models[0], base_prefix):
        # the class names a prefix its instance lacks (Llama4ForCausalLM: "language_model", its base model at
        # "model"): the base plan applies where the base model really is, its one PreTrainedModel child
        from transformers import PreTrainedModel
        kids = [n for n, m in models[0].named_children() if isinstance(m, PreTrainedModel)]
        base_prefix = kids[0] if len(kids) == 1 else base_prefix
    base_prefix_path = base_prefix if causal and hasattr(models[0], base_prefix) else ""
    trees = [tree(m) for m in models]
    # the fields given and kept as given (a configuration may overwrite a given field from others)
    primary = set()
    for k, v in kwB[0].items():
        primary |= {f"{k}.{s}" for s in v} if isinstance(v, dict) else {k}
    primary = {k for k in primary if all(r.get(k) == flat(kw).get(k) for r, kw in zip(rows, kwB))}
    solvers = RowSolvers(rows, primary, {getattr(cfgB[0], f) for f in frozen if introspect.is_int(getattr(cfgB[0], f, None))}, divisible)
    lp = find_layers(models[0], *trees[0])
    counts = [len(m.get_submodule(lp)) for m in models] if lp else []
    # the first configuration whose layers run on meta (random sizes may not fit an attention's reshapes)
    orders = next(((r, o) for r in range(len(models)) for o in [call_orders(models[r], lp, counts[r])] if o), None) if lp else None
    got, why = describe(trees, counts, lp, cfgB, solvers, base_prefix_path, causal, orders)
    if got is None:
        return None, why
    why_not = got.pop("why_not")
    if layers_elsewhere(lp, base_prefix):
        why_not.append(layers_elsewhere(lp, base_prefix))
    with_presence(cls, model_cls, got, kwB, cfgB, trees, lp, base_prefix_path, causal, divisible, frozen)
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
