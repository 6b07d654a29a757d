"""``python -m ats_ms sweep``: ATS distillation over a tp_tau x t_tau grid (and seeds), resumable, with a heatmap.

Cells run one after another on one device. To spread them over several devices, start one process per device with
``--shard K/N --device_id K`` (each runs the cells whose index is K modulo N), then run once more with
``--report_only True`` to gather the table and figure. Flags not listed here (e.g. --epoches) go to every cell.
"""
import os
import sys

from ats_ms.cli.common import ArgumentParser, guarded, str2bool
from ats_ms.utils.errors import UserError


def _numbers(flag, text, kind=float):
    try:
        values = tuple(kind(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = ()
    if not values:
        raise UserError(f"--{flag}={text!r} is invalid; expected comma-separated numbers like 1,2,3")
    return values


def build_parser():
    p = ArgumentParser(prog="python -m ats_ms sweep", description=__doc__)
    p.add_argument("--config", required=True, help="distillation YAML (teacher, student, recipe)")
    p.add_argument("--tp_taus", default="1,2,3,4,5,6")
    p.add_argument("--t_taus", default="1,2,3,4,5")
    p.add_argument("--seeds", default="0")
    p.add_argument("--out_dir", default=None, help="default: ./outputs/sweep/<config name>")
    p.add_argument("--shard", default="0/1", help="K/N: run only cells whose index is K modulo N")
    p.add_argument("--report_only", type=str2bool, default=False)
    return p


@guarded
def main(argv=None):
    args, extra = build_parser().parse_known_args(argv)
    from ats_ms.analysis import sweep
    if not os.path.isfile(args.config):
        raise UserError(f"--config {args.config}: no such file; expected a distillation YAML")
    tp_taus, t_taus = _numbers("tp_taus", args.tp_taus), _numbers("t_taus", args.t_taus)
    seeds = _numbers("seeds", args.seeds, int)
    try:
        shard = tuple(int(v) for v in args.shard.split("/"))
        assert len(shard) == 2 and 0 <= shard[0] < shard[1]
    except (ValueError, AssertionError):
        raise UserError(f"--shard={args.shard!r} is invalid; expected K/N with 0 <= K < N")
    out_dir = args.out_dir or os.path.join("outputs", "sweep", os.path.splitext(os.path.basename(args.config))[0])
    if not args.report_only:
        todo = sweep.cells(tp_taus, t_taus, seeds, shard)
        status = sweep.run_cells(args.config, out_dir, todo, extra)
        if any(code == 2 for code in status.values()):
            return 2
    title = os.path.splitext(os.path.basename(args.config))[0]
    lines, figure = sweep.report(out_dir, tp_taus, t_taus, seeds, title)
    print("\n".join(lines))
    print(f"table: {os.path.join(out_dir, 'sweep.csv')}")
    print(f"figure: {figure}" if figure else "figure skipped: matplotlib is not installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
