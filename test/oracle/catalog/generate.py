"""Writes the model catalog of one transformers version (extension/core/models/catalog/data/transformers-<v>.json,
format: extension/core/models/catalog/types.ts) from what that version really does.

For every configuration class with a tensor- or expert-parallel plan: the model it builds on the meta device
from several configurations with distinct field values, each parameter dimension solved as an expression of
the configuration fields and verified on configurations it was not solved on, the decoder-layer variants and
the rule that picks them, the plans, defaults, derived fields, tied weights and load-time fusion.

  python generate.py --transformers-path <dir with a transformers package> --out <file>
With --source-wheel <transformers-4.x wheel> the version's source is read instead (source_reader.py).
"""
import argparse
import datetime
import json
import os
import sys
import time
import traceback


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--transformers-path", help="directory that holds the transformers package to import first")
    ap.add_argument("--source-wheel", help="read this transformers wheel's source instead of importing it")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", help="comma-separated config class names (development)")
    return ap.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS and ARGS.transformers_path:
    sys.path.insert(0, os.path.abspath(ARGS.transformers_path))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

N_SOLVE, N_VERIFY = 3, 2


def write_catalog(out, version, torch_version, archs, skipped):
    doc = {"schema": 1, "transformers": version}
    if torch_version:
        doc["torch"] = torch_version
    doc["generated"] = datetime.date.today().isoformat()
    doc["architectures"] = dict(sorted(archs.items()))
    if skipped:
        doc["skipped"] = dict(sorted(skipped.items()))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")


def summary(version, archs, skipped):
    std = sum(1 for a in archs.values() if a["flow"]["standard"])
    partial = {k: a["partial"] for k, a in archs.items() if "partial" in a}
    print(f"transformers {version}: {len(archs)} architectures recorded ({std} standard flow, "
          f"{sum(1 for a in archs.values() if 'layers' in a)} with layers, {len(partial)} with plans and defaults only), "
          f"{len(skipped)} skipped")
    for k, why in sorted(skipped.items()):
        print(f"  skipped {k}: {why[:200]}")
    for k, why in sorted(partial.items()):
        print(f"  partial {k}: {why[:200]}")


def main():
    if ARGS.source_wheel:
        import source_reader

        version, archs, skipped = source_reader.read_wheel(ARGS.source_wheel, ARGS.only)
        write_catalog(ARGS.out, version, None, archs, skipped)
        summary(version, archs, skipped)
        return
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    import introspect
    import meta_record

    t0 = time.time()
    found, errors = introspect.plan_configs()
    only = set(ARGS.only.split(",")) if ARGS.only else None
    archs, skipped, owner = {}, {}, {}
    for name, cls in sorted(found.items()):
        if only and name not in only:
            continue
        mt = cls.model_type
        if mt in owner:
            skipped[name] = f"same model_type {mt!r} as {owner[mt]}, recorded there"
            continue
        t = time.time()
        try:
            arch, why = meta_record.record(cls)
        except Exception as e:
            arch, why = None, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            if os.environ.get("CATALOG_DEBUG"):
                traceback.print_exc()
        if arch is None:
            skipped[name] = why
        else:
            archs[mt] = arch
            owner[mt] = name
        print(f"{name}: {'ok' if arch else 'skipped'} ({time.time() - t:.1f}s){'' if arch else ' ' + why[:160]}", file=sys.stderr)
    write_catalog(ARGS.out, transformers.__version__, torch.__version__.split("+")[0], archs, skipped)
    summary(transformers.__version__, archs, skipped)
    print(f"  ({time.time() - t0:.0f}s)")


if __name__ == "__main__":
    main()
