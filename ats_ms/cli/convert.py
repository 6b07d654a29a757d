"""``python -m ats_ms convert``: a PyTorch .pth state_dict to a MindSpore .ckpt of the same registry network, with a
record of its network, classes, dataset and normalisation (ImageNet's by default, as the published teachers)."""
import sys

from ats_ms.cli.common import command_main


def _convert(config):
    from ats_ms.convert import convert_file
    from ats_ms.models.layers import param_count
    from ats_ms.utils import device
    device.configure("CPU", 0, "pynative")
    net, record = convert_file(config)
    print(f"converted {config.src} -> {config.dst} ({record['net_name']}, {record['n_classes']} classes, "
          f"{param_count(net):,} parameters; recorded dataset {record['dataset']}, normalize {record['normalize']}, "
          f"image size {record['image_size']})")
    return 0


main = command_main("convert", _convert)

if __name__ == "__main__":
    sys.exit(main())
