"""The catalog of a transformers release that does not import here (4.57.6 wants huggingface-hub<1.0),
from its wheel's source: every configuration class with a tensor- or expert-parallel plan, its plans,
attribute_map and __init__ defaults as the source states them, and the module tree of its *ForCausalLM
(or base model) by running the __init__ bodies on several configurations (source_interp.py), each
dimension then solved and verified as for a built model. derivation: "source"."""
import ast
import datetime
import os
import random
import re
import types
import zipfile

import introspect
import meta_record
import source_interp as si


def literal(node):
    try:
        return ast.literal_eval(node)
    except Exception:
        return None


def class_literals(cdef):
    out = {}
    for st in cdef.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            out[st.targets[0].id] = st.value
        elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None:
            out[st.target.id] = st.value
    return out


def act_classes(zf):
    tree = ast.parse(zf.read("transformers/activations.py").decode())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "ACT2CLS":
            out = {}
            for k, v in zip(node.value.keys, node.value.values):
                v = v.elts[0] if isinstance(v, ast.Tuple) else v
                out[literal(k)] = v.attr if isinstance(v, ast.Attribute) else getattr(v, "id", "Activation")
            return out
    return {}


def signature_defaults(cdef):
    init = next((n for n in cdef.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        return {}
    a = init.args
    pos = a.args[1:]
    defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
    out = {}
    for p, d in list(zip(pos, defaults)) + list(zip(a.kwonlyargs, a.kw_defaults)):
        out[p.arg] = literal(d) if d is not None else None
    return out


def ep_replaces_tp(zf):
    """Whether the release's PreTrainedModel.tp_plan answers the ep plan alone when expert parallelism is on."""
    tree = ast.parse(zf.read("transformers/modeling_utils.py").decode())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "tp_plan" and node.decorator_list \
                and getattr(node.decorator_list[0], "id", None) == "property":
            src = ast.unparse(node)
            return "enable_expert_parallel" in src and "return self._ep_plan" in src
    return False


def tied_embedding_entry(zf):
    src = zf.read("transformers/configuration_utils.py").decode()
    return "embedding_rowwise" in src


class Release:
    def __init__(self, path):
        self.zf = zipfile.ZipFile(path)
        self.src = si.Source(self.zf, act_classes(self.zf))
        self.interp = si.Interp(self.src)
        self.version = re.search(r"transformers-([^-]+)-", os.path.basename(path)).group(1)

    def plan_configs(self):
        out = {}
        for name in sorted(self.zf.namelist()):
            m = re.match(r"transformers/models/([^/]+)/configuration_[^/]+\.py$", name)
            if not m:
                continue
            scope = self.src.module(name)
            for cname, cdef in scope.classes.items():
                lits = class_literals(cdef)
                if "base_model_tp_plan" in lits or "base_model_ep_plan" in lits:
                    out[cname] = (scope, cdef, lits)
        return out

    def model_class(self, cfg_scope, cname):
        """(scope, ClassDef, is_causal) of the model this configuration class builds."""
        d = os.path.dirname(cfg_scope.path)
        own = []
        for name in sorted(self.zf.namelist()):
            if os.path.dirname(name) == d and os.path.basename(name).startswith("modeling_") and name.endswith(".py") \
                    and "_tf_" not in name and "_flax_" not in name:
                scope = self.src.module(name)
                for c, cdef in scope.classes.items():
                    if self.config_of(scope, cdef) == cname:
                        own.append((scope, cdef))
        causal = [x for x in own if x[1].name.endswith("ForCausalLM")]
        if causal:
            return causal[0] + (True,)
        bases = sorted((x for x in own if x[1].name.endswith("Model") and not x[1].name.endswith("PreTrainedModel")),
                       key=lambda x: len(x[1].name))
        return bases[0] + (False,) if bases else (None, None, False)

    def config_of(self, scope, cdef, depth=0):
        lits = {}
        for st in cdef.body:
            if isinstance(st, ast.Assign) and getattr(st.targets[0], "id", None) == "config_class":
                lits["c"] = getattr(st.value, "id", None)
            elif isinstance(st, ast.AnnAssign) and getattr(st.target, "id", None) == "config":
                lits["c"] = getattr(st.annotation, "id", None)
        if "c" in lits:
            return lits["c"]
        for b in cdef.bases:
            s2, c2 = scope.lookup_class(getattr(b, "id", None)) if isinstance(b, ast.Name) else (None, None)
            if c2 is not None and depth < 6:
                got = self.config_of(s2, c2, depth + 1)
                if got:
                    return got
        return None

    def class_attr(self, scope, cdef, attr, depth=0):
        lits = class_literals(cdef)
        if attr in lits:
            return literal(lits[attr])
        for b in cdef.bases:
            s2, c2 = scope.lookup_class(b.id) if isinstance(b, ast.Name) else (None, None)
            if c2 is not None and depth < 6:
                got = self.class_attr(s2, c2, attr, depth + 1)
                if got is not None:
                    return got
        return None

    def config(self, scope, cdef, kw):
        cfg = self.interp.new(scope, cdef, [], dict(kw), si.Cfg())
        return cfg


def sample(defaults, seed, extra, divisible):
    rng = random.Random(seed)
    used = set()
    fields = {k: v for k, v in defaults.items() if introspect.varied_default(k, v)}
    for k in extra:
        fields.setdefault(k, None)
    kw = {k: introspect.varied_value(k, d, rng, used, divisible) for k, d in fields.items()}
    if introspect.is_int(defaults.get("pad_token_id")) and defaults["pad_token_id"] > 0:
        kw["pad_token_id"] = 0
    for k, d in defaults.items():
        if k.endswith("_layers") and "only" in k and not d:
            kw[k] = rng.choice([[], [1], [0, 2]])
    return kw


def ints_of(cfg):
    return {k: v for k, v in cfg.attrs.items() if introspect.is_int(v) and v > 0 and not any(k.endswith(w) for w in introspect.TOKEN_WORDS)}


def structure(rel, cscope, cdef, mscope, mdef, causal, defaults):
    """derived fields and the described ends/layers, or raises Unsupported / returns (None, why)."""
    last = None
    for divisible in (False, True):
        try:
            kwA = [sample(defaults, s, (), divisible) for s in meta_record.SEEDS]
            cfgA = [rel.config(cscope, cdef, kw) for kw in kwA]
            rowsA = [ints_of(c) for c in cfgA]
            derived, derived_names = meta_record.derive(kwA, rowsA)
            settable = [k for k in derived_names if k in defaults]
            kwB = [sample(defaults, s, settable, divisible) for s in meta_record.SEEDS]
            cfgB = [rel.config(cscope, cdef, kw) for kw in kwB]
            rows = [ints_of(c) for c in cfgB]
            mods = [rel.interp.new(mscope, mdef, [c], {}) for c in cfgB]
            used_divisible = divisible
            break
        except (si.Unsupported, Exception) as e:
            last = f"{type(e).__name__}: {e}"
            continue
    else:
        return None, last
    # head_dim a model reads from config.json although the class leaves it None (Mistral 4.x)
    got = meta_record.read_fields_by(lambda kw: rel.config(cscope, cdef, kw), lambda c: rel.interp.new(mscope, mdef, [c], {}),
                                     lambda m: si.flatten(m)[1], ints_of, kwB, rows, mods, used_divisible)
    read_derived = {}
    if got:
        read_derived, kwB, cfgB, rows, mods = got
    trees = [si.flatten(m) for m in mods]
    primary = {k for k in kwB[0] if all(r.get(k) == kw.get(k) for r, kw in zip(rows, kwB))}
    solvers = meta_record.RowSolvers(rows, primary, (), used_divisible)
    lp = meta_record.find_layers(None, *trees[0])
    counts = []
    if lp:
        for m in mods:
            node = m
            for part in lp.split("."):
                node = node.children[part]
            counts.append(len(node.children))
    base_prefix = rel.class_attr(mscope, mdef, "base_model_prefix") or ""
    base_path = base_prefix if causal and base_prefix in mods[0].children else ""
    ns = [types.SimpleNamespace(**c.attrs) for c in cfgB]
    got, why = meta_record.describe(trees, counts, lp, ns, solvers, base_path, causal)
    if got is None:
        return None, why
    return ({**derived, **read_derived}, got, mods[0], base_prefix), None


def read_wheel(path, only=None):
    rel = Release(path)
    ep_rep = ep_replaces_tp(rel.zf)
    tied_entry = tied_embedding_entry(rel.zf)
    archs, skipped, owner = {}, {}, {}
    for cname, (cscope, cdef, lits) in sorted(rel.plan_configs().items()):
        if only and cname not in only.split(","):
            continue
        mt = literal(lits.get("model_type")) if "model_type" in lits else None
        if mt is None:
            skipped[cname] = "no model_type literal in the class body"
            continue
        if mt in owner:
            skipped[cname] = f"same model_type {mt!r} as {owner[mt]}, recorded there"
            continue
        defaults = signature_defaults(cdef)
        try:
            dcfg = rel.config(cscope, cdef, {})
            full_defaults = {k: v for k, v in dcfg.attrs.items() if v is not si.OPAQUE and not isinstance(v, (si.Cfg, si.Mod, si.Ref))}
        except Exception:
            full_defaults = {k: v for k, v in defaults.items()}
        plans = {}
        for key, attr in (("tp", "base_model_tp_plan"), ("ep", "base_model_ep_plan"), ("pp", "base_model_pp_plan")):
            v = literal(lits[attr]) if attr in lits else None
            if v:
                plans[key] = {k: [list(x[0]), list(x[1])] for k, x in v.items()} if key == "pp" else dict(v)
        mscope, mdef, causal = rel.model_class(cscope, cname)
        if mdef is not None:
            ctp = rel.class_attr(mscope, mdef, "_tp_plan") if causal else None
            if ctp:
                plans["classTp"] = dict(ctp)
        if tied_entry:
            plans["tiedEmbedding"] = {"embed_tokens": "embedding_rowwise"}
        plans["epReplacesTp"] = ep_rep
        arch = {
            "modelType": mt, "configClass": cname,
            "causalLm": mdef.name if mdef is not None and causal else None,
            "basePrefix": (rel.class_attr(mscope, mdef, "base_model_prefix") or "") if mdef is not None else "",
            "derivation": "source",
            "attributeMap": dict(literal(lits["attribute_map"]) or {}) if "attribute_map" in lits else {},
            "defaults": introspect.json_safe(full_defaults),
            "plans": plans,
        }
        why = None
        if "sub_configs" in lits:
            why = "composite configuration: its sub-configurations are not run from source"
        elif mdef is None:
            why = "no model class for this configuration in the release's modeling files"
        else:
            try:
                got, why = structure(rel, cscope, cdef, mscope, mdef, causal, defaults)
            except Exception as e:
                got, why = None, f"{type(e).__name__}: {e}"
        if why is None:
            derived, desc, mod0, base_prefix = got
            why_not = desc.pop("why_not")
            elsewhere = meta_record.layers_elsewhere((desc.get("layers") or {}).get("path"), arch.get("basePrefix", ""))
            if elsewhere:
                why_not.append(elsewhere)
            if derived:
                arch["derived"] = derived
            arch.update(desc)
            tied = rel.class_attr(mscope, mdef, "_tied_weights_keys") if causal else None
            emb = next((m["path"] for m in desc["ends"]["modules"] if m["role"] == "embedding"), None)
            if tied and emb and isinstance(tied, list):
                arch["tied"] = [[t, f"{emb}.weight"] for t in tied]
            arch["flow"] = {"standard": False, "why": "; ".join(why_not)} if why_not else {"standard": True}
        else:
            arch["ends"] = {"modules": [], "params": []}
            arch["partial"] = f"module structure not read from source: {why}"[:300]
            arch["flow"] = {"standard": False, "why": "module structure not read from source"}
        archs[mt] = arch
        owner[mt] = cname
    return rel.version, archs, skipped
