"""``python -m ats_ms analyze``: a teacher's wrong-class statistics under TS vs ATS (the paper's Figs. 7 and 13).

Runs each teacher over the split once, then reports per temperature setting q_y, e(q), sigma(q), var(q) and the
three terms of the KD-loss decomposition (for --student_ckpt's probabilities, or a uniform student), as CSV, JSON and
a PNG (several --ckpt: several teachers side by side). Numbers come from the numpy reference functions.
"""
import sys

from ats_ms.cli.common import ArgumentParser, add_device_args, guarded, str2bool
from ats_ms.utils import device
from ats_ms.utils.errors import UserError


def _floats(text):
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UserError(f"--taus={text!r} is invalid; expected comma-separated numbers like 0.5,1,2")


def _pairs(text):
    try:
        return tuple(tuple(float(x) for x in p.split(":")) for p in text.split(",") if p.strip())
    except ValueError:
        raise UserError(f"--pairs={text!r} is invalid; expected tp_tau:t_tau pairs like 4:2,6:3")


def build_parser():
    p = ArgumentParser(prog="python -m ats_ms analyze", description=__doc__)
    p.add_argument("--net_name", required=True, help="teacher network(s): one name, or one per --ckpt (comma list)")
    p.add_argument("--ckpt", required=True, action="append", help="teacher checkpoint (repeat for several teachers)")
    p.add_argument("--dataset", default="cifar100")
    p.add_argument("--data_dir", default="./data/")
    p.add_argument("--download", type=str2bool, default=False)
    p.add_argument("--split", default="train", choices=("train", "test"))
    p.add_argument("--n_classes", type=int, default=100)
    p.add_argument("--normalize", default="imagenet", choices=("imagenet", "cifar"))
    p.add_argument("--taus", default=None, help="TS temperatures (default: the paper's 0.05 ... 10.0)")
    p.add_argument("--pairs", default="", help="extra ATS pairs tp_tau:t_tau, e.g. 4:2,6:3")
    p.add_argument("--student_net_name", default=None)
    p.add_argument("--student_ckpt", default=None, help="student whose probabilities enter the decomposition "
                                                        "(default: a uniform student)")
    p.add_argument("--max_images", type=int, default=0, help="use only the first N images (0: all)")
    p.add_argument("--batch_size", type=int, default=256)
    p.add_argument("--out_dir", default="./outputs/analyze")
    return add_device_args(p)


@guarded
def main(argv=None):
    args = build_parser().parse_args(argv)
    names = args.net_name.split(",")
    if len(names) not in (1, len(args.ckpt)):
        raise UserError(f"--net_name has {len(names)} names for {len(args.ckpt)} --ckpt; expected 1 or one per ckpt")
    names = names * len(args.ckpt) if len(names) == 1 else names
    taus = _floats(args.taus) if args.taus else None
    pairs = _pairs(args.pairs)
    device.configure(args.device_target, args.device_id, "graph", 0)
    from ats_ms.analysis.report import analyze_teachers
    result = analyze_teachers(list(zip(names, args.ckpt)), args, taus, pairs)
    for line in result["lines"]:
        print(line)
    print(f"csv: {result['csv']}\njson: {result['json']}")
    print(f"figure: {result['figure']}" if result["figure"] else "figure skipped: matplotlib is not installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
