"""``python -m ats_ms check``: compare the losses (and with --models the networks) with the numpy reference."""
import os
import sys
import time

from ats_ms.cli.common import ArgumentParser, add_device_args, guarded
from ats_ms.utils import device


def build_parser():
    p = ArgumentParser(prog="python -m ats_ms check",
                       description="Check the loss Cells (and networks) on a device against the float64 numpy "
                                   "reference; exits 0 only if every row passes.")
    p.add_argument("--dtype", default="float32", choices=("float32", "float16"))
    p.add_argument("--mode", default="graph", choices=device.MODES)
    p.add_argument("--models", action="store_true", help="also check the networks' forward pass")
    p.add_argument("--jobs", type=int, default=None,
                   help="processes compiling the loss grid in parallel (default: up to 3 on CPU, 1 on GPU/Ascend)")
    return add_device_args(p)


@guarded
def main(argv=None):
    args = build_parser().parse_args(argv)
    setup = (args.device_target, args.device_id, args.mode)
    device.configure(*setup)
    jobs = args.jobs if args.jobs else (min(3, os.cpu_count() or 1) if args.device_target == "CPU" else 1)
    from ats_ms.verify.losses import TOLERANCES, run_loss_check

    start = time.time()
    print(f"loss check on {args.device_target}:{args.device_id}, {args.mode} mode, {args.dtype} logits, "
          f"tolerance {TOLERANCES[args.dtype]:g} (float64 numpy reference)")
    header = f"{'kd_way':6s} {'classes':>7s} {'logits':9s} {'cases':>5s} {'loss err':>10s} {'grad err':>10s} result"
    print(header)

    def show(r):
        print(f"{r.kd_way:6s} {r.n_classes:7d} {r.logits:9s} {r.cases:5d} {r.loss_err:10.2e} {r.grad_err:10.2e} "
              f"{'PASS' if r.passed else 'FAIL'}{'' if r.finite else ' (non-finite)'}", flush=True)

    results = run_loss_check(args.dtype, setup, jobs, progress=show)
    ok = all(r.passed for r in results)
    if args.models:
        from ats_ms.verify.models import run_model_check
        print("model check (inference mode, tolerance 1e-4 absolute on logits)")
        for row in run_model_check():
            print(row.line(), flush=True)
            ok &= row.passed
    print(f"{'ALL PASS' if ok else 'FAILED'} in {time.time() - start:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
