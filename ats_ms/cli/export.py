"""``python -m ats_ms export``: MINDIR (AIR on Ascend) of any registered network, named as the demo's export.py.

Writes {ckpt_dir}/{ckpt_name stem}_mindir.mindir from a zeros (1, 3, S, S) float32 input, S the recorded image size
(32 for CIFAR and records without one); the network, its style and classes come from the checkpoint's
record. The demo's ``--device`` is accepted as an alias of ``--device_target``
and its defaults (``--ckpt_name cifar100-ResNet14.ckpt``, ``--t_net_name ResNet14``) are kept; unlike the demo it
defaults to the CPU, since MINDIR export does not depend on the device.
"""
import os
import sys

from ats_ms.cli.common import command_main


def _export(config):
    from ats_ms.engine.evaluation import export_network
    from ats_ms.utils import device, naming
    out = naming.export_path(os.path.dirname(config.ckpt) or ".", os.path.basename(config.ckpt), config.file_format)
    device.configure(config.device_target, config.device_id, "graph", 0)
    export_network(config, config.ckpt, out)
    from ats_ms.models.registry import style_label
    style = style_label(config.net_name, config.net_style)
    print(f"exported {config.ckpt} ({config.net_name}, {style}, {config.n_classes} classes, input "
          f"(1, 3, {config.image_size}, {config.image_size})) -> {out}")
    return 0


main = command_main("export", _export)

if __name__ == "__main__":
    sys.exit(main())
