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


def find_rule(observed, moe_variant):
    """observed: [(config, [variant per layer index])]; moe_variant: name of the variant that has experts
    (or None). Returns (rule, None) or (None, why)."""
    names = sorted({v for _, vs in observed for v in vs})
    if len(names) == 1:
        return {"kind": "uniform", "variant": names[0]}, None

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
