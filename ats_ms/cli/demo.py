"""``python -m ats_ms demo``: the main job (what ``bash scripts/run_demo.sh`` runs)."""
import sys

from ats_ms.cli.common import ArgumentParser, add_device_args, guarded
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
    p.add_argument("--small", default=None, help="small teacher (default ResNet14)")
    p.add_argument("--large", default=None, help="large teacher (default ResNet32)")
    p.add_argument("--student", default=None, help="student (default ResNet8)")
    p.add_argument("--max_train", type=int, default=None, help="use only the first N training images")
    p.add_argument("--max_test", type=int, default=None, help="use only the first N test images")
    return add_device_args(p)


@guarded
def main(argv=None):
    args = build_parser().parse_args(argv)
    from ats_ms.models import resolve_name
    from ats_ms.utils.errors import UserError
    device.configure(args.device_target, args.device_id, "graph", 0)
    from ats_ms.demo import run_demo
    keys = ("teacher_epochs", "student_epochs", "small", "large", "student", "max_train", "max_test")
    overrides = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    if any(isinstance(v, int) and v <= 0 for v in overrides.values()):
        raise UserError("--teacher_epochs, --student_epochs, --max_train and --max_test must be > 0")
    for key in ("small", "large", "student"):
        if key in overrides:
            overrides[key] = resolve_name(overrides[key])
    run_demo(args.data_dir, args.out_dir, args.plan, **overrides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
