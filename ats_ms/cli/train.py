"""Shared wiring of ``classify`` and ``distill``: flags/YAML -> validation -> device -> Trainer."""
import os
import sys

from ats_ms.cli.common import guarded
from ats_ms.utils import device
from ats_ms.utils.config import COMMAND_FLAGS, resolve

DESCRIPTIONS = {
    "classify": "Train a network with cross-entropy (a teacher, or a student without KD). Accepts every flag of the "
                "official demo's run_classify.py.",
    "distill": "Distill a frozen teacher into a student with ATS or TS (or kd_way none). Accepts every flag of the "
               "official demo's run_distill.py.",
}


def run(command, argv):
    """Parse, validate, configure the device and train; returns the exit status."""
    from ats_ms.engine.trainer import NonFiniteLoss, Trainer, validate
    config, sources = resolve(f"python -m ats_ms {command}", COMMAND_FLAGS[command], argv, DESCRIPTIONS[command])
    validate(config, command)
    if config.distribute and sources["device_id"] == "default" and "DEVICE_ID" in os.environ:
        config.device_id = int(os.environ["DEVICE_ID"])  # msrun gives each local rank its own device
    device.configure(config.device_target, config.device_id, config.mode, config.seed)
    trainer_cls = Trainer
    if config.distribute:
        from ats_ms.engine.distributed import DistributedTrainer, init_distributed
        init_distributed(config)
        trainer_cls = DistributedTrainer
    trainer = trainer_cls(config, command).prepare()
    try:
        trainer.run()
    except NonFiniteLoss as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


def make_main(command):
    @guarded
    def main(argv=None):
        return run(command, argv)
    return main
