"""Pickles of plain data in every protocol, and one that would run code, for the safe pickle reader.

Writes test/fixtures/trace/pickle/values_p<0-5>.pkl (the same value pickled by Python's own pickle in each
protocol), extra_p<4,5>.pkl (bytes and sets), values.json and extra.json (those values as JSON: tuples
and sets as lists, bytes as lists of numbers) and
refused_reduce.pkl (a pickle whose loading would call os.system: the reader must refuse it, never run it).

Regenerate (any Python 3.8+):
  python3 test/oracle/pickles.py
"""
import json
import os
import pickle

OUT = "test/fixtures/trace/pickle"

VALUE = {
    "version": "2.10",
    "none": None,
    "bools": [True, False],
    "ints": [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**40, -2**40, 1795599330599711340],
    "floats": [0.5, -1.25, 1e300, 3.141592653589793],
    "strings": ["", "gloo:all_reduce", "ünïcödé ✓", "x" * 300],
    "tuple": ("0", "default_pg"),
    "empty": [(), [], {}],
    "nested": {"pg_status": {"0": {"last_enqueued_collective": 4}}, "sizes": [[2, 3], [4, 8]]},
    "shared": None,
    "__proto__": {"polluted": True},
}
# Bytes before protocol 3 and frozensets before protocol 4 are pickled as calls (codecs.encode,
# builtins.frozenset): these only go into protocols 4 and 5.
EXTRA = {"bytes": b"\x00\x01\xff", "frozen": frozenset([7]), "set": {3}}
SHARED = ["the same list twice"]
VALUE["shared"] = [SHARED, SHARED]


def as_json(v):
    if isinstance(v, dict):
        return {str(k): as_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [as_json(x) for x in v]
    if isinstance(v, bytes):
        return list(v)
    return v


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def main():
    os.makedirs(OUT, exist_ok=True)
    for proto in range(0, 6):
        with open(os.path.join(OUT, f"values_p{proto}.pkl"), "wb") as f:
            pickle.dump(VALUE, f, protocol=proto)
    for proto in (4, 5):
        with open(os.path.join(OUT, f"extra_p{proto}.pkl"), "wb") as f:
            pickle.dump(EXTRA, f, protocol=proto)
    for name, v in (("values", VALUE), ("extra", EXTRA)):
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(as_json(v), f, indent=1, ensure_ascii=False)
            f.write("\n")
    with open(os.path.join(OUT, "refused_reduce.pkl"), "wb") as f:
        pickle.dump({"entries": [Evil()]}, f, protocol=2)


if __name__ == "__main__":
    main()
