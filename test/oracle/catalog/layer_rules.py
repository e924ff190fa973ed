"""Which layer rule of the catalog's contract explains the variant of every layer in every built model.

Each candidate rule is tested against all the solving configurations; a rule is kept only when it
reproduces every layer's variant in every one of them."""


def _ints(cfg):
    return {k: v for k, v in vars(cfg).items() if isinstance(v, int) and not isinstance(v, bool) and not k.startswith("_")}


def _lists(cfg):
    return {k: v for k, v in vars(cfg).items() if isinstance(v, (list, tuple)) and not k.startswith("_")}


def _layer_types(observed, names, common_lists):
    """A list of strings as long as the layers, each value naming one variant."""
    for field in sorted(common_lists):
        by_value, ok = {}, True
        for cfg, vs in observed:
            vals = list(getattr(cfg, field))
            if len(vals) != len(vs) or not all(isinstance(x, str) for x in vals):
                ok = False
                break
            for x, v in zip(vals, vs):
                if by_value.setdefault(x, v) != v:
                    ok = False
        if ok and len(set(by_value.values())) == len(names):
            return {"kind": "layer_types", "field": field, "byValue": dict(sorted(by_value.items()))}
    return None


def key_of(x):
    """A per-layer list value as the catalog writes it (booleans as JSON spells them)."""
    return ("true" if x else "false") if isinstance(x, bool) else str(x)


def fit_pattern(lists):
    """How a configuration class derives a per-layer list from the layer count: {n: list} sampled for several
    counts → {head, cycle, lastIfMissing?}: value i is head[i], then cycle[(i - len(head)) % len(cycle)]; with
    lastIfMissing, a list that would lack that value has it as its last. None when no such pattern fits."""
    lists = {n: [key_of(x) for x in v] for n, v in lists.items()}
    if not lists:
        return None
    longest = lists[max(lists)]
    for h in range(0, min(3, len(longest))):
        for p in range(1, (len(longest) - h) // 2 + 1):
            head, cycle = longest[:h], longest[h:h + p]
            gen = lambda n: [head[i] if i < h else cycle[(i - h) % p] for i in range(n)]
            if all(gen(n) == v for n, v in lists.items()):
                return {"head": head, "cycle": cycle}
            # a class that makes sure a value occurs: the last layer takes it when the pattern leaves it out
            for miss in sorted(set(cycle)):
                def fixed(n):
                    g = gen(n)
                    return g if miss in g or not g else g[:-1] + [miss]
                if all(fixed(n) == v for n, v in lists.items()) and any(fixed(n) != gen(n) for n in lists):
                    return {"head": head, "cycle": cycle, "lastIfMissing": miss}
    return None


def _joint(observed, names, ints, derive):
    """Several per-layer keys whose joined values pick the variant: per-layer lists as long as the layers, or
    a step field ((i+1) % step == 0 gives "1", else "0")."""
    n_layers = [len(vs) for _, vs in observed]
    lists = [f for f in sorted(set.intersection(*(set(_lists(c)) for c, _ in observed)))
             if all(len(getattr(c, f)) == n for (c, _), n in zip(observed, n_layers))]
    steps = [f for f in ints if any(w in f for w in ("step", "interval", "freq"))]
    parts = [("list", f) for f in lists] + [("step", f) for f in steps]

    def value(c, i, part):
        kind, f = part
        if kind == "list":
            return key_of(list(getattr(c, f))[i])
        s = getattr(c, f)
        return "1" if s > 0 and (i + 1) % s == 0 else "0"
    import itertools
    for size in (1, 2, 3):
        for combo in itertools.combinations(parts, size):
            by_value, ok = {}, True
            for c, vs in observed:
                for i, v in enumerate(vs):
                    k = "|".join(value(c, i, p) for p in combo)
                    if by_value.setdefault(k, v) != v:
                        ok = False
                        break
                if not ok:
                    break
            if ok and set(by_value.values()) == set(names):
                out = []
                for kind, f in combo:
                    if kind == "step":
                        out.append({"step": f})
                        continue
                    part = {"list": f}
                    pat = derive(f) if derive else None
                    if pat:
                        part["pattern"] = pat
                    out.append(part)
                return {"kind": "joint", "parts": out, "byValue": dict(sorted(by_value.items()))}
    return None


def _range_step(observed, moe, dense, ints):
    """MoE where start <= i <= end and (i+1) % step == 0 (ERNIE 4.5's moe_layer_start_index, _end_index, _interval)."""
    starts = [f for f in ints if "start" in f]
    ends = [f for f in ints if "end" in f]
    steps = [f for f in ints if any(w in f for w in ("interval", "step", "freq"))]
    for a in starts:
        for b in ends:
            for s in steps:
                if all(all((moe if getattr(c, s) > 0 and (i + 1) % getattr(c, s) == 0 and getattr(c, a) <= i <= getattr(c, b)
                            else dense) == v for i, v in enumerate(vs)) for c, vs in observed):
                    return {"kind": "range_step", "startField": a, "endField": b, "stepField": s, "moe": moe, "dense": dense}
    return None


def find_rule(observed, moe_variant, derive=None):
    """observed: [(config, [variant per layer index])]; moe_variant: name of the variant that has experts
    (or None); derive(field): how the class derives a per-layer list field from the layer count (fit_pattern),
    or None. Returns (rule, None) or (None, why)."""
    names = sorted({v for _, vs in observed for v in vs})
    if len(names) == 1:
        return {"kind": "uniform", "variant": names[0]}, None
    rule, why = _find_rule(observed, moe_variant, names)
    if rule and rule["kind"] == "layer_types" and derive:
        pat = derive(rule["field"])
        if pat:
            rule["pattern"] = pat
    if rule is None:
        ints = sorted(set.intersection(*(set(_ints(c)) for c, _ in observed)))
        if len(names) == 2 and moe_variant in names:
            rule = _range_step(observed, moe_variant, next(n for n in names if n != moe_variant), ints)
        rule = rule or _joint(observed, names, ints, derive)
        if rule:
            why = None
    return rule, why


def _find_rule(observed, moe_variant, names):

    def fits(pick):
        try:
            return all(all(pick(cfg, i) == v for i, v in enumerate(vs)) for cfg, vs in observed)
        except Exception:
            return False

    common_lists = set.intersection(*(set(_lists(c)) for c, _ in observed))
    if len(names) != 2 or moe_variant not in names:
        rule = _layer_types(observed, names, common_lists)
        if rule:
            return rule, None
        return None, f"{len(names)} layer variants ({', '.join(names)}) that no layer rule of the catalog picks"
    moe, dense = moe_variant, next(n for n in names if n != moe_variant)
    ints = sorted(set.intersection(*(set(_ints(c)) for c, _ in observed)))
    lists = sorted(common_lists)
    # dense and MoE layers: the rules over the fields a configuration is given come first; a list the
    # configuration derives from them (DeepSeek-V3.2's mlp_layer_types) last

    for f in ints:
        if fits(lambda c, i: dense if i < getattr(c, f) else moe):
            return {"kind": "first_k", "field": f, "below": dense, "above": moe}, None
    for f in ints:
        for q in ints:
            if q != f and fits(lambda c, i: dense if i < getattr(c, f) or i % getattr(c, q) != 0 else moe):
                return {"kind": "first_k", "field": f, "below": dense, "above": moe, "freqField": q}, None
    for s in ints:
        for lf in [l for l in lists if any(getattr(c, l) for c, _ in observed)]:
            if fits(lambda c, i: moe if i not in getattr(c, lf) and getattr(c, s) > 0 and (i + 1) % getattr(c, s) == 0 else dense):
                return {"kind": "sparse_step", "stepField": s, "listField": lf, "moe": moe, "dense": dense}, None
    for s in ints:
        if fits(lambda c, i: moe if getattr(c, s) > 0 and (i + 1) % getattr(c, s) == 0 else dense):
            return {"kind": "interleave", "stepField": s, "moe": moe, "dense": dense}, None
    for lf in lists:
        def pick(c, i, lf=lf):
            vals = list(getattr(c, lf))
            if vals and all(isinstance(x, bool) for x in vals):
                return moe if vals[i] else dense
            return moe if i in vals else dense
        if fits(pick):
            return {"kind": "index_list", "field": lf, "moe": moe, "dense": dense}, None
    rule = _layer_types(observed, names, common_lists)
    if rule:
        return rule, None
    return None, "the dense and MoE layers follow no layer rule of the catalog"
