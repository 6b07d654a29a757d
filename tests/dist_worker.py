"""Worker run by msrun in tests/e2e/test_distributed.py (2 processes on 127.0.0.1).

1. One data-parallel TrainStep on this rank's half of a fixed batch; the student's parameters go to
   OUT/rank<r>_step.npz.
2. Distributed distillation (tiny digits subset, --lr_scale linear): an uninterrupted 2-epoch run with per-rank
   output folders (the trainer writes files on rank 0 only), then, in a folder shared by the ranks as on a real
   cluster, a run interrupted after epoch 1 and resumed with --resume True (every rank reads the resume file); the
   students' final parameters and the learning rates go to OUT/rank<r>_epoch.npz.
3. An image folder (10 PNGs of uniform colour, the colour naming the image) read by a data-parallel classify run's
   own sharded training pipeline: the images this rank sees in one epoch go to OUT/rank<r>_files.npz.

The networks are TinyNet (tests/tiny_net.py): data parallelism does not depend on the network.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tiny_net import NAME as NET  # noqa: E402
from tiny_net import register, registered  # noqa: E402

BATCH, N_CLASSES = 16, 10


def step_setup(ms, teacher_ckpt, rank=None, size=None):
    """Student, optimizer, the pack-of-one train network and the fixed batch (whole batch when rank is None)."""
    from ats_ms.engine.cells import FrozenTeacher, StudentsWithLoss
    from ats_ms.engine.lr import build_lr
    from ats_ms.engine.optim import build_optimizer
    from ats_ms.losses import DistillLoss
    from ats_ms.models import create_model
    ms.set_seed(0)
    with registered():
        teacher = create_model(NET, N_CLASSES, checkpoint=teacher_ckpt)
        student = create_model(NET, N_CLASSES)
    net = StudentsWithLoss([student], FrozenTeacher(teacher), [DistillLoss("ATS", 4.0, 2.0)])
    optimizer = build_optimizer(student.trainable_params(), build_lr("demo", 0.05, 1, 10), 0.9, 5e-4)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, 3, 32, 32)).astype(np.float32)
    y = (np.arange(BATCH) % N_CLASSES).astype(np.int32)
    if rank is not None:
        half = BATCH // size
        x, y = x[rank * half:(rank + 1) * half], y[rank * half:(rank + 1) * half]
    return student, optimizer, net, x, y


class Interrupted(Exception):
    pass


def main(out, teacher_ckpt):
    import mindspore as ms
    from mindspore import nn
    from mindspore.communication import get_group_size, get_rank

    import ats_ms
    from ats_ms.api import _prepare_device as prepare_device
    from ats_ms.engine.cells import TrainStep

    register()
    config = ats_ms.make_config("distill", dataset="digits", n_classes=10, t_net_name=NET, t_ckpt=teacher_ckpt,
                                net_name=NET, epoches=2, batch_size=32, max_train=256, max_test=64,
                                print_every=0, download=False, distribute=True, lr_scale="linear")
    trainer_cls = prepare_device(config)  # configures the device and initialises communication
    rank, size = get_rank(), get_group_size()

    student, optimizer, net, x, y = step_setup(ms, teacher_ckpt, rank, size)
    reducer = nn.DistributedGradReducer(optimizer.parameters, mean=True, degree=size)
    TrainStep(net, [optimizer], grad_reducers=[reducer])(ms.Tensor(x), ms.Tensor(y))
    np.savez(os.path.join(out, f"rank{rank}_step.npz"), **{p.name: p.asnumpy() for p in student.get_parameters()})

    def run(name, folder, interrupt=False, resume=False):
        c = config.replace(ckpt_dir=os.path.join(folder, "ckpts"), log_dir=os.path.join(folder, "logs"),
                           ckpt_name=f"{name}.ckpt", resume=resume)

        class Trainer(trainer_cls):
            def _train(self, first, members):
                if interrupt and first == 1:
                    raise Interrupted
                return super()._train(first, members)

        trainer = Trainer(c, emit=lambda line: None).prepare()
        try:
            trainer.run()
        except Interrupted:
            pass
        return trainer

    marker = os.path.join(out, "shared", "interrupted-run-written")

    def barrier():  # rank 0 has written the resume file (the Barrier operator has no CPU kernel)
        if rank == 0:
            open(marker, "w").close()
        while not os.path.exists(marker):
            time.sleep(0.1)

    whole = run("whole", os.path.join(out, f"rank{rank}"))
    run("resumed", os.path.join(out, "shared"), interrupt=True)
    barrier()  # rank 0 has written the resume file
    resumed = run("resumed", os.path.join(out, "shared"), resume=True)
    folder_images(os.path.join(out, f"rank{rank}_folder"))
    files = trainer_cls(ats_ms.make_config(
        "classify", dataset="folder", data_dir=os.path.join(out, f"rank{rank}_folder"), image_size=16,
        transform="crop", normalize="cifar", net_name=NET, epoches=1, batch_size=2, distribute=True,
        ckpt_dir=os.path.join(out, "files", "ckpts"), log_dir=os.path.join(out, "files", "logs")),
        emit=lambda line: None).prepare()
    seen = [image[0, 8, 8] for images, _ in files._train_ds(0).create_tuple_iterator(output_numpy=True)
            for image in images]
    np.savez(os.path.join(out, f"rank{rank}_files.npz"), seen=np.array(seen))
    np.savez(os.path.join(out, f"rank{rank}_epoch.npz"),
             **{f"whole/{p.name}": p.asnumpy() for p in whole.members[0].student.trainable_params()},
             **{f"resumed/{p.name}": p.asnumpy() for p in resumed.members[0].student.trainable_params()},
             lrs=whole.lrs, group_size=np.array(whole.group_size), steps=np.array(whole.steps_per_epoch),
             resumed_from=np.array(resumed.members[0].start_epoch))


FOLDER_IMAGES = 10


def folder_images(root):
    """An ImageFolder of FOLDER_IMAGES uniform 20x20 PNGs in two classes; image i has red value 20 * i."""
    from PIL import Image
    for split in ("train", "val"):
        for i in range(FOLDER_IMAGES):
            folder = os.path.join(root, split, f"c{i % 2}")
            os.makedirs(folder, exist_ok=True)
            Image.fromarray(np.full((20, 20, 3), 20 * i, np.uint8)).save(os.path.join(folder, f"{i}.png"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
