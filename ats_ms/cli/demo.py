"""``python -m ats_ms demo``: the main job (what ``bash scripts/run_demo.sh`` runs)."""
import sys

from ats_ms.cli.common import ArgumentParser, guarded
from ats_ms.utils import device


def build_parser():
    p = ArgumentParser(prog="python -m ats_ms demo",
                       description="Train a small and a large teacher, distill one student without KD, with TS and "
                                   "with ATS, and compare (digits, or a CIFAR-100 subset when ./data has CIFAR-100).")
    p.add_argument("--data_dir", default="./data")
    p.add_argument("--out_dir", default="./outputs/demo")
    p.add_argument("--plan", default=None, choices=("digits", "cifar100"), help="default: cifar100 if present")
    p.add_argument("--teacher_epochs", type=int, default=None)
    p.add_argument("--student_epochs", type=int, default=None)
    p.add_argument("--device_target", default="CPU", choices=device.DEVICES)
    p.add_argument("--device_id", type=int, default=0)
    return p


@guarded
def main(argv=None):
    args = build_parser().parse_args(argv)
    device.configure(args.device_target, args.device_id, "graph", 0)
    from ats_ms.demo import run_demo
    overrides = {k: v for k, v in (("teacher_epochs", args.teacher_epochs),
                                   ("student_epochs", args.student_epochs)) if v is not None}
    run_demo(args.data_dir, args.out_dir, args.plan, **overrides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
