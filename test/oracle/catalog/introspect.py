"""Finding what an installed transformers knows: the configuration classes that carry a parallel plan,
the model class each builds, and configurations to build it from."""
import dataclasses
import importlib
import inspect
import math
import os
import pkgutil
import random

import transformers
import transformers.models

try:
    from transformers import PreTrainedConfig as BaseConfig
except ImportError:  # 4.x spelling
    from transformers import PretrainedConfig as BaseConfig


def plan_configs():
    """{config class name: class} for every configuration class with a base_model_tp_plan or base_model_ep_plan,
    and {module: error} for configuration modules that did not import."""
    found, errors = {}, {}
    for m in sorted(pkgutil.iter_modules(transformers.models.__path__), key=lambda m: m.name):
        pkg_dir = os.path.join(transformers.models.__path__[0], m.name)
        if not os.path.isdir(pkg_dir):
            continue
        for f in sorted(os.listdir(pkg_dir)):
            if not (f.startswith("configuration_") and f.endswith(".py")):
                continue
            name = f"transformers.models.{m.name}.{f[:-3]}"
            try:
                mod = importlib.import_module(name)
            except Exception as e:  # a module that needs an absent extra
                errors[name] = f"{type(e).__name__}: {e}"
                continue
            for n, c in vars(mod).items():
                if inspect.isclass(c) and issubclass(c, BaseConfig) and c.__module__ == mod.__name__:
                    if getattr(c, "base_model_tp_plan", None) or getattr(c, "base_model_ep_plan", None):
                        found[n] = c
    return found, errors


def own_fields(cls):
    """{field: default} the configuration class declares (not PreTrainedConfig's own)."""
    if dataclasses.is_dataclass(cls):
        base = {f.name for f in dataclasses.fields(BaseConfig)} if dataclasses.is_dataclass(BaseConfig) else set()
        out = {}
        for f in dataclasses.fields(cls):
            if f.name in base or f.name.startswith("_"):
                continue
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f.name] = f.default_factory()
            else:
                out[f.name] = None
        return out
    sig = inspect.signature(cls.__init__)
    return {k: (None if p.default is inspect.Parameter.empty else p.default)
            for k, p in sig.parameters.items() if k != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def modeling_module(cfg_cls):
    pkg = cfg_cls.__module__.rsplit(".", 1)[0]
    short = cfg_cls.__module__.rsplit(".", 1)[1].replace("configuration_", "modeling_")
    try:
        return importlib.import_module(f"{pkg}.{short}")
    except Exception:
        return None


def model_class(cfg_cls):
    """(class, is_causal_lm): the *ForCausalLM class for this configuration, else its base model class."""
    from transformers.models.auto import modeling_auto as ma

    mt = cfg_cls.model_type
    by_name = lambda n: getattr(transformers, n, None) if isinstance(n, str) else None
    mod = modeling_module(cfg_cls)
    own = [c for c in vars(mod).values() if inspect.isclass(c) and getattr(c, "config_class", None) is cfg_cls] if mod else []
    c = by_name(ma.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(mt))
    if c is not None:
        return c, True
    causal = [c for c in own if c.__name__.endswith("ForCausalLM")]
    if causal:
        return causal[0], True
    c = by_name(ma.MODEL_MAPPING_NAMES.get(mt))
    if c is not None:
        return c, False
    bases = [c for c in own if c.__name__.endswith("Model") and not c.__name__.endswith("PreTrainedModel")]
    if bases:
        return sorted(bases, key=lambda c: len(c.__name__))[0], False
    return None, False


TOKEN_WORDS = ("token_id", "token_index", "_id", "_idx", "token_ids")
COUNT_WORDS = ("heads", "expert", "group", "step", "freq", "dense", "per_tok", "topk", "top_k", "shared",
               "window_pattern")
COUNT_PREFIXES = ("num_", "n_")
SMALL = (1, 2, 3, 4, 5, 6)
PRIMES = (7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47)
# Sizes are distinct primes first (so floor divisions show); where the version refuses sizes that a head
# count does not divide, 120 times a distinct prime (divisible by every SMALL value and 8).
LARGE_PRIMES = tuple(p for p in range(211, 1000) if all(p % q for q in range(2, 32)))
HEADS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)  # head counts, when sizes need not be their multiples


def is_count_field(name):
    return name in ("num_hidden_layers", "num_layers", "n_layer", "n_layers")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def varied_value(name, default, rng, used, divisible):
    if is_count_field(name):
        return rng.randint(8, 12)
    if default is not None and default < 16 or (any(w in name for w in COUNT_WORDS) or name.startswith(COUNT_PREFIXES)) and not name.endswith("_dim") and "size" not in name and "rank" not in name:
        return rng.choice(HEADS if "heads" in name and not divisible else SMALL)
    if name.endswith("head_dim") and not divisible:
        # rotary embeddings want an even head size: twice a distinct prime
        free = [p for p in PRIMES if p not in used] or list(PRIMES)
        p = rng.choice(free)
        used.add(p)
        return 2 * p
    pool = PRIMES if divisible else LARGE_PRIMES
    free = [p for p in pool if p not in used] or list(pool)
    p = rng.choice(free)
    used.add(p)
    return 120 * p if divisible else p


# Fields whose 0 default still picks layers (DeepSeek-V2's first_k_dense_replace=0): varied like the others,
# so the layer rule shows.
LAYER_PATTERN_WORDS = ("first_k", "dense", "sparse", "step", "freq", "interleave")


def varied_default(name, value):
    if not is_int(value) or any(name.endswith(w) for w in TOKEN_WORDS):
        return False
    return value > 0 or (value == 0 and any(w in name for w in LAYER_PATTERN_WORDS))


def int_fields(cls):
    """Fields with an int default that shape the model (token ids excluded)."""
    return {k: v for k, v in own_fields(cls).items() if varied_default(k, v)}


def sub_config_classes(cls):
    subs = getattr(cls, "sub_configs", None) or {}
    return {k: v for k, v in subs.items() if inspect.isclass(v) and issubclass(v, BaseConfig)}


def sample_kwargs(cls, seed, extra=None, divisible=False, depth=0, frozen=()):
    """Keyword arguments for one solving configuration: every shaping int field a fresh value; `extra`
    (fields the class derives when absent) too; `frozen` fields keep their defaults."""
    rng = random.Random(seed)
    used = set()
    fields = dict(int_fields(cls))
    for k in extra or ():
        fields.setdefault(k, None)
    kw = {k: varied_value(k, d, rng, used, divisible) for k, d in fields.items()}
    for k in frozen:
        kw.pop(k, None)
    # a padding index inside the (small) vocabulary
    d = own_fields(cls).get("pad_token_id")
    if is_int(d) and d > 0:
        kw["pad_token_id"] = 0
    # lists of layers kept dense (Qwen's mlp_only_layers): some configurations name a few
    for k, d in own_fields(cls).items():
        if k.endswith("_layers") and "only" in k and not d:
            kw[k] = rng.choice([[], [1], [0, 2]])
    if depth == 0:
        for name, sub in sub_config_classes(cls).items():
            kw[name] = sample_kwargs(sub, seed * 31 + len(name), None, divisible, depth + 1)
    return kw


def resolved_ints(cfg, prefix="", depth=0):
    """{field: value} of every positive int attribute of a built configuration, nested configs dotted."""
    out = {}
    for k, v in vars(cfg).items():
        if k.startswith("_"):
            continue
        if is_int(v) and v > 0 and not any(k.endswith(w) for w in TOKEN_WORDS):
            out[prefix + k] = v
        elif isinstance(v, BaseConfig) and depth == 0:
            out.update(resolved_ints(v, prefix + k + ".", depth + 1))
    return out


def json_safe(v):
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [json_safe(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if hasattr(v, "to_dict"):
        return json_safe(v.to_dict())
    return repr(v)
