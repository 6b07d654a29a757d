"""``python -m ats_ms bench``: time our fused step, a demo-style step, a whole epoch and (--torch) PyTorch."""
import sys

from ats_ms.cli.common import ArgumentParser, add_device_args, guarded, str2bool, write_json
from ats_ms.utils import device


def build_parser():
    p = ArgumentParser(prog="python -m ats_ms bench", description="Benchmarks in one process (see README).")
    p.add_argument("--t_net_name", default="ResNet110")
    p.add_argument("--net_name", default="VGG8")
    p.add_argument("--batch_size", type=int, default=128)
    p.add_argument("--n_classes", type=int, default=100)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--torch", action="store_true", help="also time a PyTorch twin step (needs torch)")
    p.add_argument("--fold_teacher_bn", type=str2bool, default=True)
    p.add_argument("--threads", type=int, default=0, help="CPU kernel threads (0: MindSpore's default)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds over rows a-d (medians reported)")
    p.add_argument("--profile", action="store_true",
                   help="also time each part of the step and its oneDNN kernels (in a child process)")
    p.add_argument("--json", default=None, help="write the result as JSON to this file")
    return add_device_args(p)


@guarded
def main(argv=None):
    from ats_ms.models import resolve_name
    from ats_ms.utils.errors import UserError
    args = build_parser().parse_args(argv)
    if min(args.batch_size, args.steps, args.rounds) <= 0:
        raise UserError(f"--batch_size={args.batch_size}, --steps={args.steps}, --rounds={args.rounds}: "
                        "expected positive integers")
    t_net, s_net = resolve_name(args.t_net_name), resolve_name(args.net_name)
    if args.torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            raise UserError("--torch needs PyTorch, which is not installed; pip install torch==2.13.0 (CPU build)")
    device.configure(args.device_target, args.device_id, "graph", 0)
    if args.threads > 0:
        import mindspore as ms
        ms.device_context.cpu.op_tuning.threads_num(args.threads)
    from ats_ms.bench import run_bench, table_lines
    result = run_bench(t_net, s_net, args.batch_size, args.n_classes, args.steps, args.torch, args.fold_teacher_bn,
                       args.rounds, args.profile, args.device_target, args.device_id, args.threads)
    print("\n".join(table_lines(result)))
    if args.json:
        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
