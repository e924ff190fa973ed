"""Solving a shape dimension as an expression over configuration fields.

Each configuration contributes one value per field; a dimension observed on the same configurations is a
vector of values. Candidate expressions are enumerated from simplest to most complex, evaluated on the
vectors, and a dimension takes the simplest candidate that matches it on the solving configurations and
still matches on the verifying ones. A dimension whose simplest matches disagree, or that no candidate
explains, stays unsolved: the caller records it as unknown instead of guessing.
"""
import re
from itertools import combinations, combinations_with_replacement

CONSTS = (2, 3, 4, 8)
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9.]*")


def _names(expr):
    return _NAME.findall(expr)


def _identical(exprs, trials=64):
    """Whether expressions of the same fields are one function ((a+2*b)*c and a*c+2*b*c): equal on random
    values, sizes that divide nothing included."""
    import random
    rng = random.Random(0)
    names = sorted(set(_names(exprs[0])))
    for _ in range(trials):
        env = {n.replace(".", "__"): rng.randint(1, 997) for n in names}
        vals = {eval(e.replace(".", "__"), {"__builtins__": {}}, env) for e in exprs}
        if len(vals) > 1:
            return False
    return True


class Solver:
    def __init__(self, fields, solve_rows, verify_rows, primary=None, divisible=False):
        """fields: names; *_rows: list of {field: int} (one dict per configuration); primary: the fields
        given to the configuration, preferred over fields it derives from them when both fit."""
        self.primary = primary
        # sizes were multiples of every head count (the version refuses others): expressions over the same
        # fields that then agree, such as a*b//c and a*(b//c), are equal on every configuration it accepts
        self.divisible = divisible
        self.fields = [f for f in fields if all(isinstance(r.get(f), int) and not isinstance(r.get(f), bool) and r.get(f) > 0 for r in solve_rows + verify_rows)]
        self.solve_rows, self.verify_rows = solve_rows, verify_rows
        self.rows = solve_rows + verify_rows
        self.levels = []  # list of dict: value vector over all rows -> [expr, ...]
        self._built = 0

    def _vec(self, f):
        return tuple(r[f] for r in self.rows)

    def _level(self, n):
        while self._built <= n:
            self.levels.append(self._make(self._built))
            self._built += 1
        return self.levels[n]

    def _make(self, n):
        F = self.fields
        V = {f: self._vec(f) for f in F}
        out = {}

        ns = len(self.solve_rows)

        def add(expr, vec):
            if all(x > 0 for x in vec):
                out.setdefault(vec[:ns], []).append((expr, vec))

        if n == 0:
            for f in F:
                add(f, V[f])
        elif n == 1:
            for f in F:
                for c in CONSTS:
                    add(f"{c}*{f}", tuple(c * x for x in V[f]))
                    add(f"{f}//{c}", tuple(x // c for x in V[f]))
                for a, b in ((3, 4), (2, 3), (3, 2), (4, 3)):  # fractions such as 0.75 * head_dim
                    add(f"{a}*{f}//{b}", tuple(a * x // b for x in V[f]))
        elif n == 2:
            for f, g in combinations_with_replacement(F, 2):
                add(f"{f}*{g}", tuple(a * b for a, b in zip(V[f], V[g])))
                add(f"{f}+{g}", tuple(a + b for a, b in zip(V[f], V[g])))
            for f in F:
                for g in F:
                    if f != g:
                        add(f"{f}-{g}", tuple(a - b for a, b in zip(V[f], V[g])))
                        add(f"{f}//{g}", tuple(a // b for a, b in zip(V[f], V[g])))
                        add(f"{f}*({g}//{f})", tuple(a * (b // a) for a, b in zip(V[f], V[g])))
        elif n == 3:
            for f, g in combinations_with_replacement(F, 2):
                p = tuple(a * b for a, b in zip(V[f], V[g]))
                s = tuple(a + b for a, b in zip(V[f], V[g]))
                for c in CONSTS:
                    add(f"{c}*{f}*{g}", tuple(c * x for x in p))
                    if f != g:
                        add(f"{c}*({f}+{g})", tuple(c * x for x in s))
                for h in F:
                    if f != g:
                        add(f"{h}*({f}+{g})", tuple(x * y for x, y in zip(V[h], s)))
                    if h not in (f, g):
                        add(f"{f}*({g}//{h})", tuple(x * (y // z) for x, y, z in zip(V[f], V[g], V[h])))
                        add(f"{g}*({f}//{h})", tuple(y * (x // z) for x, y, z in zip(V[f], V[g], V[h])))
                        add(f"{f}*{g}+{h}", tuple(x + y for x, y in zip(p, V[h])))
                        add(f"{f}*{g}//{h}", tuple(x // y for x, y in zip(p, V[h])))
                if f != g:
                    for a, b in ((3, 4), (2, 3)):  # int(0.75 * hidden_size / heads)
                        add(f"{a}*{f}//({b}*{g})", tuple(a * x // (b * y) for x, y in zip(V[f], V[g])))
                        add(f"{a}*{g}//({b}*{f})", tuple(a * y // (b * x) for x, y in zip(V[f], V[g])))
            for f, g, h in combinations(F, 3):
                add(f"{f}*{g}*{h}", tuple(a * b * c for a, b, c in zip(V[f], V[g], V[h])))
                add(f"{f}+{g}+{h}", tuple(a + b + c for a, b, c in zip(V[f], V[g], V[h])))
        elif n == 4:
            # fused projections: (heads + 2*kv_heads) * head_dim, 2*k_heads*k_dim + v_heads*v_dim
            S = [f for f in F if max(V[f]) <= 16]
            quot = [(f"({h}//{k})", tuple(a // b for a, b in zip(V[h], V[k]))) for h in F for k in S if h != k]
            terms = [(h, V[h]) for h in F] + quot
            for f in S:
                for g in S:
                    if f == g:
                        continue
                    for c in (2,):
                        s2 = tuple(a + c * b for a, b in zip(V[f], V[g]))
                        for t, tv in terms:
                            add(f"({f}+{c}*{g})*{t}", tuple(x * y for x, y in zip(s2, tv)))
            prods = [(f"{f}*{h}", tuple(a * b for a, b in zip(V[f], V[h]))) for f in S for h in F if h != f]
            for i, (e1, v1) in enumerate(prods):
                for e2, v2 in prods[i + 1:]:
                    add(f"{e1}+{e2}", tuple(a + b for a, b in zip(v1, v2)))
                    add(f"2*{e1}+{e2}", tuple(2 * a + b for a, b in zip(v1, v2)))
                    add(f"{e1}+2*{e2}", tuple(a + 2 * b for a, b in zip(v1, v2)))
        return out

    MAX_LEVEL = 4

    def _one_of(self, exprs):
        same_fields = len({frozenset(_names(e)) for e in exprs}) == 1
        if same_fields and (self.divisible or _identical(exprs)):
            return sorted(exprs, key=lambda e: (len(e), e))[0], None
        return None, f"ambiguous: {', '.join(exprs[:4])}"

    def solve(self, vec):
        """vec: the dimension's value on every row (solve rows then verify rows). Returns (expr, None) or
        (None, why)."""
        vec = tuple(vec)
        ns = len(self.solve_rows)
        unverified = ambiguous = None
        for n in range(self.MAX_LEVEL + 1):
            if n == 1 and len(set(vec)) == 1:
                return str(vec[0]), None  # the same on every configuration and no field says so: a literal
            # candidates matching on the solving rows, then checked on the verifying ones
            near = self._level(n).get(vec[:ns], [])
            if not near:
                continue
            verified = sorted({e for e, v in near if v == vec})
            if self.primary is not None:
                given = [e for e in verified if all(t in self.primary for t in _names(e))]
                if len(given) == 1 and (len(verified) == 1 or ambiguous is None):
                    return given[0], None
                if len(given) > 1:
                    return self._one_of(given)
            if len(verified) == 1 and ambiguous is None:
                return verified[0], None
            if verified:
                # equal fields the configuration derives: an expression of the given fields may still decide
                ambiguous = ambiguous or verified
                continue
            unverified = unverified or near[0][0]
        if ambiguous:
            return self._one_of(ambiguous)
        if unverified:
            return None, f"{unverified} fits the solving configurations but not the verifying ones"
        return None, f"no expression of the configuration fields gives {list(vec)}"
