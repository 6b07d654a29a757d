"""``python -m ats_ms eval``: top-1/top-5 (and the demo's batch-mean accuracy) of a checkpoint on the test split."""
import sys

from ats_ms.cli.common import command_main


def _evaluate(config):
    from ats_ms.engine.evaluation import evaluate_checkpoint
    from ats_ms.utils import device
    from ats_ms.utils.files import write_json
    device.configure(config.device_target, config.device_id, config.mode, config.seed)
    result = evaluate_checkpoint(config, config.ckpt)
    top5 = "n/a" if result["top5"] is None else f"{result['top5']:.4f}"
    print(f"{result['net_name']} {config.ckpt} on {config.dataset} test ({result['images']} images, normalize "
          f"{config.normalize}): top-1 {result['top1']:.4f}  top-5 {top5}  batch-mean acc {result['acc']:.4f}")
    if config.json:
        write_json(config.json, result)
    return 0


main = command_main("eval", _evaluate)

if __name__ == "__main__":
    sys.exit(main())
