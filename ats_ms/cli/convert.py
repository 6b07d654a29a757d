"""``python -m ats_ms convert``: a PyTorch .pth state_dict to a MindSpore .ckpt of the same registry network."""
import sys

from ats_ms.cli.common import ArgumentParser, guarded, str2bool
from ats_ms.utils import device


def build_parser():
    p = ArgumentParser(prog="python -m ats_ms convert",
                       description="Convert a PyTorch state_dict (e.g. the published cifar100-WRN28-8-E240.pth) into "
                                   "a MindSpore checkpoint. The file is read with weights_only=True (no code runs).")
    p.add_argument("--net_name", required=True, help="registry name, e.g. ResNet110, WRN28-8")
    p.add_argument("--n_classes", type=int, default=100)
    p.add_argument("--src", required=True, help="PyTorch .pth file")
    p.add_argument("--dst", required=True, help="MindSpore .ckpt file to write (never overwritten by default)")
    p.add_argument("--overwrite", type=str2bool, default=False)
    return p


@guarded
def main(argv=None):
    args = build_parser().parse_args(argv)
    device.configure("CPU", 0, "pynative")
    from ats_ms.convert import convert_file
    from ats_ms.models import resolve_name
    from ats_ms.models.layers import param_count

    name = resolve_name(args.net_name)
    net = convert_file(name, args.n_classes, args.src, args.dst, args.overwrite)
    print(f"converted {args.src} -> {args.dst} ({name}, {args.n_classes} classes, {param_count(net):,} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
