"""``python -m ats_ms.sweep.compare OUT_A OUT_B``: do two sweep folders hold the same cells?

For every final cell checkpoint in ``OUT_A/ckpts`` it prints the largest relative difference of any parameter
(max |a - b| / max |b| per tensor) with the same cell in ``OUT_B``, and whether the per-epoch loss and accuracies of
the two metrics files agree to 4 decimals. Exit status 0 when every cell is within ``--rtol`` (default 1e-5) and
its metrics agree, 1 otherwise. Made to show that a pack (``--pack K``) ends as its cells run alone (``--pack 1``).
"""
import argparse
import json
import os
import sys

import numpy as np

from ats_ms.sweep.report import cell_files

METRICS = ("loss", "train_acc", "test_acc", "test_top1", "test_top5")


def _params(path):
    from ats_ms.models.checkpoint import read_checkpoint
    return {k: v.asnumpy() for k, v in read_checkpoint(path).items()}


def _metrics(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def compare_cell(out_a, out_b, name):
    """(largest relative parameter difference, metrics agree to 4 decimals) of cell ``name`` in both folders."""
    files = [cell_files(out, name) for out in (out_a, out_b)]
    a, b = (_params(f["ckpt"]) for f in files)
    if set(a) != set(b):
        return float("inf"), False
    worst = max(float(np.abs(a[k] - b[k]).max() / max(np.abs(b[k]).max(), 1e-12)) for k in a)
    ma, mb = (_metrics(f["metrics"]) for f in files)
    same = len(ma) == len(mb) and all(round(x[key], 4) == round(y[key], 4) for x, y in zip(ma, mb)
                                      for key in METRICS if x.get(key) is not None)
    return worst, same


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ats_ms.sweep.compare", description=__doc__)
    parser.add_argument("out_a")
    parser.add_argument("out_b")
    parser.add_argument("--rtol", type=float, default=1e-5)
    args = parser.parse_args(argv)
    folder = os.path.join(args.out_a, "ckpts")
    names = sorted(n[:-5] for n in os.listdir(folder) if n.startswith("sweep-") and n.endswith(".ckpt")
                   and not n.endswith(("-best.ckpt", ".resume.ckpt"))) if os.path.isdir(folder) else []
    if not names:
        print(f"error: no finished cells in {folder}; expected a sweep folder", file=sys.stderr)
        return 2
    ok = True
    for name in names:
        missing = [path for out in (args.out_a, args.out_b) for path in cell_files(out, name).values()
                   if not os.path.isfile(path)]
        if missing:
            print(f"{name}: missing {', '.join(missing)}")
            ok = False
            continue
        worst, same = compare_cell(args.out_a, args.out_b, name)
        ok &= worst <= args.rtol and same
        print(f"{name}: largest relative parameter difference {worst:.2e}; metrics "
              f"{'equal' if same else 'differ'} to 4 decimals")
    print(f"{len(names)} cells: {'the same' if ok else 'NOT the same'} (rtol {args.rtol:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
