"""``python -m ats_ms eval``: top-1/top-5 (and the demo's batch-mean accuracy) of a checkpoint on the test split."""
import os
import sys

from ats_ms.cli.common import guarded, write_json
from ats_ms.utils import device
from ats_ms.utils.config import DATA, DEVICE, Flag, resolve

FLAGS = {**DEVICE, **DATA,
         "net_name": Flag("net_name", str, "VGG8", "registry network of the checkpoint"),
         "ckpt_dir": Flag("ckpt_dir", str, "./ckpts/", "checkpoint folder"),
         "ckpt_name": Flag("ckpt_name", str, None, "checkpoint file in --ckpt_dir (or --ckpt PATH)"),
         "ckpt": Flag("ckpt", str, None, "checkpoint path (overrides --ckpt_dir/--ckpt_name)"),
         "json": Flag("json", str, None, "also write the result as JSON to this file")}


@guarded
def main(argv=None):
    from ats_ms.utils.errors import UserError
    config, _ = resolve("python -m ats_ms eval", FLAGS, argv, "Evaluate a checkpoint of any registered network.")
    path = config.ckpt or (os.path.join(config.ckpt_dir, config.ckpt_name) if config.ckpt_name else None)
    if not path:
        raise UserError("no checkpoint given; expected --ckpt PATH or --ckpt_name NAME (in --ckpt_dir)")
    device.configure(config.device_target, config.device_id, config.mode, config.seed)
    from ats_ms.engine.evaluate import evaluate_checkpoint
    result = evaluate_checkpoint(config, path)
    print(f"{result['net_name']} {path} on {config.dataset} test ({result['images']} images): "
          f"top-1 {result['top1']:.4f}  top-5 {result['top5']:.4f}  batch-mean acc {result['acc']:.4f}")
    if config.json:
        write_json(config.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
