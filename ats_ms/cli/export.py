"""``python -m ats_ms export``: MINDIR (AIR on Ascend) of any registered network, named as the demo's export.py.

Writes {ckpt_dir}/{ckpt_name stem}_mindir.mindir from a zeros (1, 3, 32, 32) float32 input. The demo's ``--device``
flag is accepted as an alias of ``--device_target``; unlike the demo (Ascend) it defaults to CPU, since MINDIR export
does not depend on the device.
"""
import os
import sys

from ats_ms.cli.common import guarded
from ats_ms.utils import device, naming
from ats_ms.utils.config import DEVICE, Flag, resolve
from ats_ms.utils.errors import UserError

FLAGS = {**DEVICE,
         "device": Flag("device", str, None, "the demo's spelling of --device_target", ("CPU", "GPU", "Ascend")),
         "n_classes": Flag("n_classes", int, 100, "number of classes"),
         "t_net_name": Flag("t_net_name", str, None, "teacher name (accepted for demo compatibility; unused)"),
         "net_name": Flag("net_name", str, "VGG8", "registry network of the checkpoint"),
         "ckpt_dir": Flag("ckpt_dir", str, "./ckpts/", "checkpoint folder (the export is written there too)"),
         "ckpt_name": Flag("ckpt_name", str, None, "checkpoint file name in --ckpt_dir"),
         "file_format": Flag("file_format", str, "MINDIR", "MINDIR, or AIR on Ascend", ("MINDIR", "AIR")),
         "overwrite": Flag("overwrite", bool, False, "replace an existing export file")}


@guarded
def main(argv=None):
    config, _ = resolve("python -m ats_ms export", FLAGS, argv, "Export a checkpoint to MINDIR (AIR on Ascend).")
    target = config.device or config.device_target
    if not config.ckpt_name:
        raise UserError("--ckpt_name is required; expected the checkpoint file name in --ckpt_dir")
    ckpt = os.path.join(config.ckpt_dir, config.ckpt_name)
    out = naming.export_path(config.ckpt_dir, config.ckpt_name, config.file_format)
    if os.path.exists(out) and not config.overwrite:
        raise UserError(f"{out} already exists; expected --overwrite True to replace it")
    if config.file_format == "AIR" and target != "Ascend":
        raise UserError(f"--file_format AIR needs --device_target Ascend (got {target}); expected MINDIR here")
    device.configure(target, config.device_id, "graph", config.seed)
    from ats_ms.engine.evaluate import export_network
    export_network(config.net_name, config.n_classes, ckpt, out, config.file_format)
    print(f"exported {ckpt} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
