"""The Python API under the command line: make a validated config, train it (alone or in a pack).

    import ats_ms
    config = ats_ms.make_config("distill", "configs/paper/ats-WRN28-8-VGG8.yaml", epoches=2, device_target="GPU")
    history = ats_ms.train(config)            # per-epoch records: epoch, lr, loss, train_acc, test_acc, ...

``make_config`` (``ats_ms.config.make``) applies the same rules and raises the same ``UserError`` (a ``ValueError``)
as the command line, its message naming keywords (``overwrite=True``) where the command line names flags.
"""
from ats_ms.config.make import make_config
from ats_ms.utils import logs
from ats_ms.utils.errors import speak_keywords

__all__ = ["make_config", "train", "train_pack"]


def _prepare_device(config):
    """Configure device, mode and seeds; with --distribute start communication. Returns the trainer class."""
    from ats_ms.engine.trainer import Trainer
    from ats_ms.utils import device
    device.configure(config.device_target, config.device_id, config.mode, config.seed)
    if not config.distribute:
        return Trainer
    from ats_ms.engine.distributed import DistributedTrainer, init_distributed
    init_distributed(config)
    return DistributedTrainer


@speak_keywords
def train(config, emit=logs.log_line, arrays=None):
    """Train one run (classify or distill) and return its per-epoch history.

    Args:
        config (RunConfig): from ``make_config("classify" | "distill", ...)``.
        emit (callable): receives each output line (default: the ``ats_ms`` logger; ``print`` shows them).
        arrays (tuple | None): ((train images, labels), (test images, labels)) uint8 NHWC, instead of the dataset.

    Returns:
        list[dict]: one record per epoch (epoch, lr, loss, train_acc, test_acc, test_top1, test_top5, seconds,
        skipped_batches, rss_mb); also in ``{log_dir}/{ckpt stem}.metrics.jsonl``.

    Raises:
        UserError: bad input (nothing is written); NonFiniteLoss (a UserError): the loss became NaN/inf.
    """
    from ats_ms.engine.pack import check_pack
    from ats_ms.utils.errors import NonFiniteLoss
    pack = check_pack([config])
    trainer_cls = _prepare_device(config)
    member = trainer_cls(pack, emit=emit, arrays=arrays).prepare().run()[0]
    if member.status == "failed":
        raise NonFiniteLoss(member.error)
    return member.history


@speak_keywords
def train_pack(configs, emit=logs.log_line, labels=None, arrays=None, data=None, teacher=None):
    """Train several distillations from one teacher as one pack: one teacher forward per batch for all students.

    The configs may differ only in their method (kd_way), its hyper-parameters and their output names (teacher,
    data, student network and recipe are shared); each run ends with the parameters and metrics it would have alone
    (in dataset sink mode: unless another run of the pack failed, docs/troubleshooting.md).

    Args:
        configs (list[RunConfig]): from ``make_config("distill", ...)`` (or ``config.replace(tp_tau=...)``).
        emit (callable): receives each output line (default: the ``ats_ms`` logger); labels (list[str] | None):
            prefix of each run's own lines.
        arrays (tuple | None): as ``train``; data (tuple | None): (train, test) ``DataSplit`` already opened
            (their labels are checked once: ``ats_ms.data.pipeline.pack_data``).
        teacher (FrozenTeacher | None): the pack's teacher already loaded (``ats_ms.engine.teacher``; a sweep loads
            it once for all its packs), else read from the configs' teacher checkpoint.

    Returns:
        list[dict]: per run ``config``, ``history``, ``status`` (``done``, or ``failed`` when its loss became
        NaN/inf: the others go on) and ``error``.
    """
    from ats_ms.engine.pack import check_pack
    pack = check_pack(list(configs))
    trainer_cls = _prepare_device(pack[0])
    members = trainer_cls(pack, emit=emit, labels=labels, arrays=arrays, data=data, teacher=teacher).prepare().run()
    return [{"config": m.config, "history": m.history, "status": m.status, "error": m.error} for m in members]
