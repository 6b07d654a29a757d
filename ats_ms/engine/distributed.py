"""Data-parallel training under msrun: communication init, DATA_PARALLEL with gradient mean, sharded data, rank 0
writes every file.

Batch semantics: ``--batch_size`` is per device, so the global batch is batch_size x devices. ``--lr_scale linear``
multiplies the learning rate by the device count (the linear scaling rule); ``none`` keeps it. BatchNorm statistics
are per device; ``--sync_bn True`` (GPU/Ascend) makes the student's BatchNorms synchronise across devices. The
teacher stays frozen on every rank.
"""
import os

from ats_ms.engine.trainer import Trainer
from ats_ms.utils.errors import UserError

LAUNCHER_VARS = ("MS_WORKER_NUM", "MS_ROLE", "RANK_SIZE", "RANK_ID")


def init_distributed(config):
    """Initialise communication and the data-parallel context; UserError when not started by a launcher."""
    import mindspore as ms
    from mindspore.communication import get_group_size, init
    if not any(v in os.environ for v in LAUNCHER_VARS):
        raise UserError("--distribute True needs a launcher (no MS_WORKER_NUM/RANK_ID in the environment); expected "
                        "bash scripts/run_distribute_train.sh DEVICE_NUM CONFIG, or msrun --worker_num=N ...")
    try:
        init()
    except Exception as exc:  # communication errors come as RuntimeError with long text
        raise UserError(f"--distribute True: communication init failed ({str(exc).strip().splitlines()[0][:160]}); "
                        f"expected a working msrun launch")
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True,
                                 device_num=get_group_size())


def to_sync_batchnorm(net):
    """Replace every BatchNorm2d of ``net`` by a SyncBatchNorm with the same parameters (GPU/Ascend)."""
    from mindspore import nn
    for _, cell in list(net.cells_and_names()):
        for name, child in list(cell.name_cells().items()):
            if isinstance(child, nn.BatchNorm2d):
                sync = nn.SyncBatchNorm(child.num_features, eps=child.eps, momentum=1.0 - child.momentum)
                for attr in ("gamma", "beta", "moving_mean", "moving_variance"):
                    getattr(sync, attr).set_data(getattr(child, attr).data)
                setattr(cell, name, sync)
    return net


class DistributedTrainer(Trainer):
    """Trainer with rank/group size, sharded training data and an all-reduce of each student's gradients."""

    def __init__(self, configs, **kwargs):
        from mindspore.communication import get_group_size, get_rank
        super().__init__(configs, **kwargs)
        self.rank, self.group_size = get_rank(), get_group_size()

    def _adapt_student(self, student):
        return to_sync_batchnorm(student) if self.config.sync_bn else student

    def _grad_reducer(self, optimizer):
        from mindspore import nn
        return nn.DistributedGradReducer(optimizer.parameters, mean=True, degree=self.group_size)
