"""A small concrete interpreter of transformers' `__init__` bodies, for a release that cannot be imported
(4.57.6 wants huggingface-hub<1.0): configuration classes and nn.Module classes are run statement by
statement on plain values, so the module tree and every parameter's shape come out for a given
configuration exactly as the source states them. Only what __init__ bodies use is understood: assignments,
if/for, arithmetic, nn.Linear/Embedding/LayerNorm/Conv*/ModuleList/Parameter, torch.ones/zeros/empty,
classes of the same release. Anything else a shape depends on stops the reading with Unsupported."""
import ast
import posixpath


class Unsupported(Exception):
    pass


class _Opaque:
    """A value the interpreter does not compute (a call into code it does not run)."""

    def __repr__(self):
        return "<opaque>"


OPAQUE = _Opaque()


class Mod:
    def __init__(self, cls):
        self.cls, self.children, self.params, self.attrs = cls, {}, {}, {}


class Cfg:
    def __init__(self):
        self.attrs = {}


class Tensor:
    def __init__(self, shape):
        self.shape = tuple(shape)


class Param(Tensor):
    pass


class Ref:
    """A name the interpreter knows: a class of the release, or a library function."""

    def __init__(self, kind, name, home=None):
        self.kind, self.name, self.home = kind, name, home


def _ints(shape):
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = shape[0]
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in shape):
        raise Unsupported(f"tensor shape not computed: {shape}")
    return tuple(shape)


NO_PARAMS = {"Dropout", "Identity", "SiLU", "GELU", "ReLU", "Tanh", "Sigmoid", "Softmax", "Softplus", "Flatten"}


def nn_module(name, args, kw):
    """The modules of torch.nn an __init__ builds, with their parameters."""
    m = Mod(name)
    a = lambda i, k, d=None: args[i] if len(args) > i else kw.get(k, d)
    if name == "Linear":
        i, o, bias = a(0, "in_features"), a(1, "out_features"), a(2, "bias", True)
        m.params["weight"] = Param(_ints((o, i)))
        if bias is OPAQUE:
            raise Unsupported("Linear bias not decided")
        if bias:
            m.params["bias"] = Param(_ints((o,)))
    elif name == "Embedding":
        m.params["weight"] = Param(_ints((a(0, "num_embeddings"), a(1, "embedding_dim"))))
    elif name in ("LayerNorm", "RMSNorm"):
        shape = a(0, "normalized_shape")
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
        if a(2, "elementwise_affine", True):
            m.params["weight"] = Param(_ints(shape))
            if name == "LayerNorm" and a(3, "bias", True):
                m.params["bias"] = Param(_ints(shape))
    elif name in ("Conv1d", "Conv2d"):
        i, o, k = a(0, "in_channels"), a(1, "out_channels"), a(2, "kernel_size")
        groups, bias = a(6, "groups", 1), a(7, "bias", True)
        ks = (k,) if name == "Conv1d" else ((k, k) if isinstance(k, int) else tuple(k))
        if not isinstance(i, int) or not isinstance(groups, int):
            raise Unsupported("convolution channels not computed")
        m.params["weight"] = Param(_ints((o, i // groups) + ks))
        if bias:
            m.params["bias"] = Param(_ints((o,)))
    elif name in ("ModuleList", "Sequential"):
        items = list(args[0]) if name == "ModuleList" and args else list(args)
        for j, x in enumerate(items):
            if not isinstance(x, Mod):
                raise Unsupported(f"{name} of something not a module")
            m.children[str(j)] = x
    elif name == "ModuleDict":
        for k, x in dict(args[0] if args else {}).items():
            m.children[str(k)] = x
    elif name not in NO_PARAMS:
        raise Unsupported(f"torch.nn.{name}")
    return m


class Source:
    """The release's files, read from its wheel (a zipfile), parsed once each."""

    def __init__(self, zf, act_classes):
        self.zf, self.cache, self.act_classes = zf, {}, act_classes

    def module(self, path):
        if path not in self.cache:
            try:
                text = self.zf.read(path).decode()
            except KeyError:
                self.cache[path] = None
                return None
            self.cache[path] = ModuleScope(self, path, ast.parse(text))
        return self.cache[path]


EXTERNAL = {"PretrainedConfig", "PreTrainedConfig", "PreTrainedModel", "GradientCheckpointingLayer", "GenerationMixin"}


class ModuleScope:
    def __init__(self, src, path, tree):
        self.src, self.path, self.classes, self.imports, self.consts = src, path, {}, {}, {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, ast.ImportFrom) and node.level:
                base = posixpath.dirname(path)
                for _ in range(node.level - 1):
                    base = posixpath.dirname(base)
                target = posixpath.join(base, *(node.module or "").split(".")) + ".py"
                for al in node.names:
                    self.imports[al.asname or al.name] = (target, al.name)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    self.consts[node.targets[0].id] = ast.literal_eval(node.value)
                except Exception:
                    pass

    def lookup_class(self, name):
        """(scope, ClassDef) for a class name visible in this module, following relative imports; the
        library's own base classes are not run (their effect on a configuration is config_base_init's)."""
        if name in EXTERNAL:
            return None, None
        if name in self.classes:
            return self, self.classes[name]
        if name in self.imports:
            target, real = self.imports[name]
            other = self.src.module(target)
            if other is not None:
                return other.lookup_class(real)
        return None, None


class _Return(Exception):
    pass


BUILTINS = {"range": range, "len": len, "int": int, "min": min, "max": max, "list": list, "tuple": tuple,
            "sum": sum, "any": any, "all": all, "float": float, "bool": bool, "str": str, "dict": dict,
            "abs": abs, "round": round, "sorted": sorted, "enumerate": enumerate, "zip": zip, "set": set}


class Interp:
    def __init__(self, src):
        self.src = src

    # classes ---------------------------------------------------------------------------------------
    def find_init(self, scope, cdef, depth=0):
        """(scope, FunctionDef, class) of the __init__ a class runs, searching its bases in the release."""
        for node in cdef.body:
            if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                return scope, node, cdef
        for b in cdef.bases:
            name = b.id if isinstance(b, ast.Name) else None
            if not name:
                continue
            s2, c2 = scope.lookup_class(name)
            if c2 is not None and depth < 8:
                got = self.find_init(s2, c2, depth + 1)
                if got:
                    return got
        return None

    def is_config(self, scope, cdef, depth=0):
        for b in cdef.bases:
            name = b.id if isinstance(b, ast.Name) else None
            if name in ("PretrainedConfig", "PreTrainedConfig"):
                return True
            s2, c2 = scope.lookup_class(name) if name else (None, None)
            if c2 is not None and depth < 8 and self.is_config(s2, c2, depth + 1):
                return True
        return False

    def new(self, scope, cdef, args, kw, obj=None):
        obj = obj if obj is not None else (Cfg() if self.is_config(scope, cdef) else Mod(cdef.name))
        got = self.find_init(scope, cdef)
        if got is None:
            if isinstance(obj, Cfg):
                self.config_base_init(obj, kw)
            return obj
        s2, fdef, owner = got
        self.call(s2, fdef, [obj] + list(args), kw, owner)
        return obj

    def config_base_init(self, cfg, kw):
        """PretrainedConfig.__init__: the common fields it takes, and any other keyword kept as an attribute."""
        cfg.attrs.setdefault("tie_word_embeddings", True)
        for k, v in kw.items():
            cfg.attrs[k] = v

    # functions -------------------------------------------------------------------------------------
    def call(self, scope, fdef, args, kw, owner):
        env = {"__scope__": scope, "__class__": owner}
        a = fdef.args
        pos = a.posonlyargs + a.args
        defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
        extra_kw = dict(kw)
        for i, (p, d) in enumerate(zip(pos, defaults)):
            if i < len(args):
                env[p.arg] = args[i]
            elif p.arg in extra_kw:
                env[p.arg] = extra_kw.pop(p.arg)
            elif d is not None:
                env[p.arg] = self.eval(d, env)
            else:
                raise Unsupported(f"{fdef.name}: argument {p.arg} not given")
        for p, d in zip(a.kwonlyargs, a.kw_defaults):
            env[p.arg] = extra_kw.pop(p.arg) if p.arg in extra_kw else (self.eval(d, env) if d is not None else None)
        if a.vararg:
            env[a.vararg.arg] = tuple(args[len(pos):])
        if a.kwarg:
            env[a.kwarg.arg] = extra_kw
        try:
            self.block(fdef.body, env)
        except _Return:
            pass

    def block(self, body, env):
        for st in body:
            self.stmt(st, env)

    def stmt(self, st, env):
        if isinstance(st, ast.Assign):
            v = self.eval(st.value, env)
            for t in st.targets:
                self.assign(t, v, env)
        elif isinstance(st, ast.AnnAssign):
            if st.value is not None:
                self.assign(st.target, self.eval(st.value, env), env)
        elif isinstance(st, ast.AugAssign):
            cur = self.eval(st.target, env)
            self.assign(st.target, self.binop(st.op, cur, self.eval(st.value, env)), env)
        elif isinstance(st, ast.If):
            c = self.eval(st.test, env)
            if c is OPAQUE:
                raise Unsupported(f"{env['__scope__'].path}:{st.lineno}: condition not computed")
            self.block(st.body if c else st.orelse, env)
        elif isinstance(st, ast.For):
            it = self.eval(st.iter, env)
            if it is OPAQUE:
                raise Unsupported(f"line {st.lineno}: loop over something not computed")
            for x in it:
                self.assign(st.target, x, env)
                self.block(st.body, env)
        elif isinstance(st, ast.Expr):
            self.eval(st.value, env, statement=True)
        elif isinstance(st, ast.Return):
            raise _Return()
        elif isinstance(st, ast.Raise):
            raise Unsupported(f"line {st.lineno}: the release refuses this configuration")
        elif isinstance(st, ast.Try):
            self.block(st.body, env)
        elif isinstance(st, ast.With):
            self.block(st.body, env)
        elif isinstance(st, (ast.Pass, ast.Assert, ast.Delete, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.Global, ast.Nonlocal)):
            pass
        else:
            raise Unsupported(f"line {st.lineno}: {type(st).__name__}")

    def assign(self, t, v, env):
        if isinstance(t, ast.Name):
            env[t.id] = v
        elif isinstance(t, ast.Attribute):
            obj = self.eval(t.value, env)
            self.setattr(obj, t.attr, v)
        elif isinstance(t, (ast.Tuple, ast.List)):
            if v is OPAQUE:
                for e in t.elts:
                    self.assign(e, OPAQUE, env)
            else:
                for e, x in zip(t.elts, list(v)):
                    self.assign(e, x, env)
        elif isinstance(t, ast.Subscript):
            pass  # item assignment into a dict or list the interpreter does not need
        else:
            raise Unsupported(f"assignment to {type(t).__name__}")

    def setattr(self, obj, name, v):
        if isinstance(obj, Mod):
            for d in (obj.children, obj.params, obj.attrs):
                d.pop(name, None)
            if isinstance(v, Mod):
                obj.children[name] = v
            elif isinstance(v, Param):
                obj.params[name] = v
            else:
                obj.attrs[name] = v
        elif isinstance(obj, Cfg):
            obj.attrs[name] = v

    def getattr(self, obj, name, strict=False):
        """An attribute; for a module or configuration that lacks it, AttributeError when `strict` (getattr,
        hasattr), else an opaque value (a method of the class or of torch's / transformers' base classes)."""
        if isinstance(obj, Mod):
            for d in (obj.children, obj.params, obj.attrs):
                if name in d:
                    return d[name]
            if strict:
                raise AttributeError(name)
            return OPAQUE
        if isinstance(obj, Cfg):
            if name in obj.attrs:
                return obj.attrs[name]
            if strict:
                raise AttributeError(name)
            return OPAQUE
        if isinstance(obj, Ref):
            return Ref(obj.kind, f"{obj.name}.{name}")
        if isinstance(obj, Tensor) and name == "shape":
            return obj.shape
        if isinstance(obj, Tensor) and name == "unsqueeze":
            return lambda d: Tensor(obj.shape[:d] + (1,) + obj.shape[d:])
        if obj is OPAQUE:
            return OPAQUE
        if isinstance(obj, dict) and name in ("get", "keys", "values", "items"):
            return getattr(obj, name)
        if isinstance(obj, (list, str)) and not name.startswith("_"):
            return getattr(obj, name)
        return OPAQUE

    # expressions -----------------------------------------------------------------------------------
    def name(self, n, env):
        if n in env:
            return env[n]
        scope = env["__scope__"]
        s2, c = scope.lookup_class(n)
        if c is not None:
            return Ref("class", n, (s2, c))
        if n in ("nn", "torch", "math", "F"):
            return Ref("lib", n)
        if n in EXTERNAL:
            return Ref("external", n)
        if n == "ACT2FN":
            return Ref("act", n)
        if n in BUILTINS:
            return BUILTINS[n]
        if n in ("getattr", "hasattr", "isinstance", "super", "setattr"):
            return Ref("builtin", n)
        if n in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[n]
        if n in scope.consts:
            return scope.consts[n]
        return OPAQUE

    def eval(self, e, env, statement=False):
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, ast.Name):
            return self.name(e.id, env)
        if isinstance(e, ast.Attribute):
            return self.getattr(self.eval(e.value, env), e.attr)
        if isinstance(e, ast.Subscript):
            base = self.eval(e.value, env)
            key = self.eval(e.slice, env)
            if isinstance(base, Ref) and base.kind == "act":
                return self.activation(key)  # ACT2FN[...] is an instance already
            if base is OPAQUE or key is OPAQUE:
                return OPAQUE
            try:
                return base[key]
            except Exception:
                return OPAQUE
        if isinstance(e, ast.Slice):
            parts = [self.eval(x, env) if x is not None else None for x in (e.lower, e.upper, e.step)]
            return slice(*parts)
        if isinstance(e, ast.BinOp):
            return self.binop(e.op, self.eval(e.left, env), self.eval(e.right, env))
        if isinstance(e, ast.UnaryOp):
            v = self.eval(e.operand, env)
            if v is OPAQUE:
                return OPAQUE
            return {ast.Not: lambda x: not x, ast.USub: lambda x: -x, ast.UAdd: lambda x: +x, ast.Invert: lambda x: ~x}[type(e.op)](v)
        if isinstance(e, ast.BoolOp):
            if isinstance(e.op, ast.And):
                v = True
                for x in e.values:
                    v = self.eval(x, env)
                    if v is OPAQUE or not v:
                        return v
                return v
            v = False
            for x in e.values:
                v = self.eval(x, env)
                if v is OPAQUE or v:
                    return v
            return v
        if isinstance(e, ast.Compare):
            left = self.eval(e.left, env)
            for op, r in zip(e.ops, e.comparators):
                right = self.eval(r, env)
                if left is OPAQUE or right is OPAQUE:
                    if isinstance(op, (ast.Is, ast.IsNot)) and (left is None or right is None):
                        return isinstance(op, ast.IsNot)  # an opaque value is some value, not None
                    return OPAQUE
                ok = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
                      ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
                      ast.Is: lambda a, b: a is b, ast.IsNot: lambda a, b: a is not b,
                      ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}[type(op)](left, right)
                if not ok:
                    return False
                left = right
            return True
        if isinstance(e, ast.IfExp):
            c = self.eval(e.test, env)
            if c is OPAQUE:
                raise Unsupported(f"{env['__scope__'].path}:{e.lineno}: condition not computed")
            return self.eval(e.body if c else e.orelse, env)
        if isinstance(e, (ast.List, ast.Tuple, ast.Set)):
            items = []
            for x in e.elts:
                if isinstance(x, ast.Starred):
                    items.extend(self.eval(x.value, env))
                else:
                    items.append(self.eval(x, env))
            return items if isinstance(e, ast.List) else tuple(items)
        if isinstance(e, ast.Dict):
            return {self.eval(k, env): self.eval(v, env) for k, v in zip(e.keys, e.values) if k is not None}
        if isinstance(e, (ast.ListComp, ast.GeneratorExp)):
            return self.comp(e, env)
        if isinstance(e, ast.Call):
            return self.call_expr(e, env, statement)
        if isinstance(e, (ast.JoinedStr, ast.Lambda, ast.DictComp, ast.SetComp)):
            return OPAQUE
        raise Unsupported(f"line {getattr(e, 'lineno', '?')}: {type(e).__name__}")

    def comp(self, e, env):
        out = []

        def loop(i, local):
            if i == len(e.generators):
                out.append(self.eval(e.elt, local))
                return
            g = e.generators[i]
            it = self.eval(g.iter, local)
            if it is OPAQUE:
                raise Unsupported("comprehension over something not computed")
            for x in it:
                l2 = dict(local)
                self.assign(g.target, x, l2)
                if all(self.eval(c, l2) for c in g.ifs):
                    loop(i + 1, l2)

        loop(0, dict(env))
        return out

    def binop(self, op, a, b):
        if a is OPAQUE or b is OPAQUE:
            return OPAQUE
        try:
            return {ast.Add: lambda x, y: x + y, ast.Sub: lambda x, y: x - y, ast.Mult: lambda x, y: x * y,
                    ast.Div: lambda x, y: x / y, ast.FloorDiv: lambda x, y: x // y, ast.Mod: lambda x, y: x % y,
                    ast.Pow: lambda x, y: x ** y, ast.BitOr: lambda x, y: x | y, ast.BitAnd: lambda x, y: x & y}[type(op)](a, b)
        except Exception:
            return OPAQUE

    def call_expr(self, e, env, statement):
        f = e.func
        # super().__init__(...)
        if isinstance(f, ast.Attribute) and f.attr == "__init__" and isinstance(f.value, ast.Call) \
                and isinstance(f.value.func, ast.Name) and f.value.func.id == "super":
            args, kw = self.args(e, env)
            self.super_init(env, args, kw)
            return None
        fv = self.eval(f, env)
        args, kw = self.args(e, env)
        if isinstance(fv, Ref):
            if fv.kind == "class":
                scope, cdef = fv.home
                return self.new(scope, cdef, args, kw)
            if fv.kind == "activation":
                return self.activation(fv.name)
            if fv.kind == "lib":
                return self.lib_call(fv.name, args, kw)
            if fv.kind == "builtin":
                return self.builtin_call(fv.name, args, kw, env)
            return OPAQUE
        if callable(fv) and not isinstance(fv, type(OPAQUE)):
            if any(a is OPAQUE for a in list(args) + list(kw.values())):
                return OPAQUE
            try:
                return fv(*args, **kw)
            except Exception:
                return OPAQUE
        if isinstance(f, ast.Attribute) and f.attr == "register_buffer":
            self.register_buffer(self.eval(f.value, env), args, kw)
            return None
        return OPAQUE

    def activation(self, key):
        """ACT2FN[key]: the activation class the release maps it to, run like any other module (some
        hold parameters)."""
        cname = self.src.act_classes.get(key)
        if cname is None:
            raise Unsupported(f"activation {key!r}")
        scope = self.src.module("transformers/activations.py")
        s2, cdef = scope.lookup_class(cname)
        if cdef is None:
            return nn_module(cname, [], {})
        return self.new(s2, cdef, [], {})

    def args(self, e, env):
        args = []
        for a in e.args:
            if isinstance(a, ast.Starred):
                v = self.eval(a.value, env)
                args.extend(v if v is not OPAQUE else [])
            else:
                args.append(self.eval(a, env))
        kw = {}
        for k in e.keywords:
            v = self.eval(k.value, env)
            if k.arg is None:
                if isinstance(v, dict):
                    kw.update(v)
            else:
                kw[k.arg] = v
        return args, kw

    def super_init(self, env, args, kw):
        owner, scope = env["__class__"], env["__scope__"]
        obj = env.get("self")
        for b in owner.bases:
            name = b.id if isinstance(b, ast.Name) else None
            s2, c2 = scope.lookup_class(name) if name else (None, None)
            if c2 is not None:
                got = self.find_init(s2, c2)
                if got:
                    self.call(got[0], got[1], [obj] + list(args), kw, got[2])
                    return
        if isinstance(obj, Cfg):
            self.config_base_init(obj, kw)
        elif isinstance(obj, Mod) and args:
            obj.attrs.setdefault("config", args[0])

    def register_buffer(self, obj, args, kw):
        name = args[0] if args else kw.get("name")
        t = args[1] if len(args) > 1 else kw.get("tensor")
        persistent = args[2] if len(args) > 2 else kw.get("persistent", True)
        if persistent is OPAQUE:
            raise Unsupported(f"buffer {name}: persistence not decided")
        if persistent and isinstance(obj, Mod):
            if not isinstance(t, Tensor):
                raise Unsupported(f"persistent buffer {name} of a shape not computed")
            obj.params[name] = ("buffer", t.shape)

    def lib_call(self, name, args, kw):
        parts = name.split(".")
        if parts[0] == "nn" and len(parts) == 2:
            if parts[1] == "Parameter":
                t = args[0] if args else kw.get("data")
                if not isinstance(t, Tensor):
                    raise Unsupported("nn.Parameter of a tensor not computed")
                return Param(t.shape)
            return nn_module(parts[1], args, kw)
        if parts[0] == "torch" and len(parts) == 2 and parts[1] in ("ones", "zeros", "empty", "randn", "rand"):
            return Tensor(_ints(tuple(args)))
        if parts[0] == "torch" and len(parts) == 2 and parts[1] == "tensor":
            v = args[0] if args else None
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return Tensor(())
            if isinstance(v, list) and all(isinstance(x, (int, float)) for x in v):
                return Tensor((len(v),))
            return OPAQUE
        if parts[0] == "torch" and len(parts) == 2 and parts[1] in ("log", "exp", "expm1", "sqrt", "abs", "neg") \
                and len(args) == 1 and isinstance(args[0], Tensor):
            return Tensor(args[0].shape)
        if parts[0] == "torch" and len(parts) == 2 and parts[1] == "full":
            return Tensor(_ints(tuple(args[0]) if isinstance(args[0], (list, tuple)) else (args[0],)))
        if parts[0] == "math" and len(parts) == 2:
            import math
            fn = getattr(math, parts[1], None)
            if fn and not any(a is OPAQUE for a in args):
                return fn(*args)
        return OPAQUE

    def builtin_call(self, name, args, kw, env):
        if name == "getattr":
            try:
                return self.getattr(args[0], args[1], strict=True)
            except AttributeError:
                if len(args) > 2:
                    return args[2]
                raise Unsupported(f"getattr: no attribute {args[1]}")
        if name == "hasattr":
            try:
                self.getattr(args[0], args[1], strict=True)
                return True
            except AttributeError:
                return False
        if name == "isinstance":
            t = args[1]
            ts = t if isinstance(t, (tuple, list)) else (t,)
            if args[0] is OPAQUE or not all(isinstance(x, type) for x in ts):
                return OPAQUE
            return isinstance(args[0], tuple(ts))
        if name == "setattr":
            self.setattr(args[0], args[1], args[2])
            return None
        return OPAQUE


def flatten(mod, prefix=""):
    """modules [(path, class)] and params [(name, shape, buffer)] in PyTorch's registration order."""
    mods, params = [], []

    def walk(m, p):
        mods.append((p, m.cls))
        for n, v in m.children.items():
            walk(v, f"{p}.{n}" if p else n)

    walk(mod, prefix)

    def find(m, p):
        for n, v in m.params.items():
            full = f"{p}.{n}" if p else n
            if isinstance(v, tuple) and v[0] == "buffer":
                continue
            params.append((full, v.shape, False))
        for n, v in m.children.items():
            find(v, f"{p}.{n}" if p else n)

    def bufs(m, p):
        for n, v in m.params.items():
            if isinstance(v, tuple) and v[0] == "buffer":
                params.append((f"{p}.{n}" if p else n, v[1], True))
        for n, v in m.children.items():
            bufs(v, f"{p}.{n}" if p else n)

    find(mod, prefix)
    bufs(mod, prefix)
    return mods, params
