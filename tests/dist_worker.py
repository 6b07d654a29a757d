"""Worker run by msrun in tests/test_distributed.py (2 processes on 127.0.0.1).

1. One data-parallel TrainStep on this rank's half of a fixed batch; the student's parameters go to
   OUT/rank<r>_step.npz.
2. One epoch of DistributedTrainer (distill, tiny digits subset) with per-rank output folders; the student's final
   parameters go to OUT/rank<r>_epoch.npz (the trainer itself writes files on rank 0 only).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BATCH, N_CLASSES = 16, 10


def step_setup(ms, teacher_ckpt, rank=None, size=None):
    """Teacher, student, TrainStep and the fixed batch (whole batch when rank is None)."""
    from ats_ms.engine.lr import build_lr
    from ats_ms.engine.networks import FrozenTeacher, StudentWithLoss
    from ats_ms.engine.optim import build_optimizer
    from ats_ms.losses import DistillLoss
    from ats_ms.models import create_model
    ms.set_seed(0)
    teacher = create_model("ResNet8", N_CLASSES, checkpoint=teacher_ckpt)
    student = create_model("ResNet8", N_CLASSES)
    optimizer = build_optimizer(student, build_lr("demo", 0.05, 1, 10), 0.9, 5e-4)
    net = StudentWithLoss(student, FrozenTeacher(teacher), DistillLoss("ATS", 4.0, 2.0))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, 3, 32, 32)).astype(np.float32)
    y = (np.arange(BATCH) % N_CLASSES).astype(np.int32)
    if rank is not None:
        half = BATCH // size
        x, y = x[rank * half:(rank + 1) * half], y[rank * half:(rank + 1) * half]
    return student, optimizer, net, x, y


def main(out, teacher_ckpt):
    import mindspore as ms
    from mindspore import nn
    from mindspore.communication import get_group_size, get_rank

    from ats_ms.engine.distributed import DistributedTrainer, init_distributed
    from ats_ms.engine.networks import TrainStep
    from ats_ms.engine.trainer import validate
    from ats_ms.utils import device
    from ats_ms.utils.config import COMMAND_FLAGS, resolve

    rank_dir = os.path.join(out, "rank{}")
    argv = ["--dataset", "digits", "--n_classes", "10", "--t_net_name", "ResNet8", "--t_ckpt", teacher_ckpt,
            "--net_name", "ResNet8", "--epoches", "1", "--batch_size", "32", "--print_every", "0",
            "--distribute", "True"]
    config = resolve("worker", COMMAND_FLAGS["distill"], argv)[0]
    device.configure("CPU", 0, "graph", 0)
    init_distributed(config)
    rank, size = get_rank(), get_group_size()

    student, optimizer, net, x, y = step_setup(ms, teacher_ckpt, rank, size)
    reducer = nn.DistributedGradReducer(optimizer.parameters, mean=True, degree=size)
    TrainStep(net, optimizer, grad_reducer=reducer)(ms.Tensor(x), ms.Tensor(y))
    np.savez(os.path.join(out, f"rank{rank}_step.npz"), **{p.name: p.asnumpy() for p in student.get_parameters()})

    config.ckpt_dir = os.path.join(rank_dir.format(rank), "ckpts")
    config.log_dir = os.path.join(rank_dir.format(rank), "logs")
    validate(config, "distill")
    from ats_ms.data import load_arrays
    arrays = tuple((a[0][:256], a[1][:256]) for a in (load_arrays("digits", "", s) for s in ("train", "test")))
    trainer = DistributedTrainer(config, "distill", arrays=arrays).prepare()
    trainer.run()
    np.savez(os.path.join(out, f"rank{rank}_epoch.npz"),
             **{p.name: p.asnumpy() for p in trainer.student.trainable_params()})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
