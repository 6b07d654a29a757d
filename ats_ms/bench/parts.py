"""The parts of one distillation step, each compiled as its own graph so that its time can be measured alone.

``teacher_forward``: the frozen teacher's inference graph. ``student_forward``: the student's forward and CE loss in
training mode. ``student_forward_backward``: the same plus gradients, no optimizer. ``student_step``: the same plus
the optimizer update. ``fused_step``: our real step (teacher + student + ATS loss + optimizer in one graph, the cell
Model.train runs). Differences give the student's backward (forward_backward - forward) and the optimizer
(step - forward_backward).
"""
import time

import numpy as np

PARTS = ("teacher_forward", "student_forward", "student_forward_backward", "student_step", "fused_step")


def synthetic_batch(batch_size, n_classes, seed=0, image_size=32):
    """A fixed random batch: images (N, 3, S, S) float32 with S = ``image_size``, labels (N,) int32."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, 3, image_size, image_size)).astype(np.float32)
    y = rng.integers(0, n_classes, batch_size).astype(np.int32)
    return x, y


def seconds_per_call(fn, steps, warmup=1):
    """Mean wall seconds of ``fn()`` over ``steps`` calls after ``warmup`` calls (0.0 when ``steps`` is 0)."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps if steps else 0.0


def _optimizer(student, loss=None):
    from ats_ms.engine.lr import build_lr
    from ats_ms.engine.optim import build_optimizer
    params = student.trainable_params() + (loss.trainable_params() if loss is not None else [])
    return build_optimizer(params, build_lr("demo", 0.01, 1, 1000), 0.9, 5e-4)


def build_fused_step(t_net, s_net, n_classes, fold_bn=True, pack=1, kd_ways=None):
    """Our training cell: TrainStep(StudentsWithLoss(students, FrozenTeacher, losses), Momentum per student).

    ``pack`` students share the teacher forward: ATS tp_tau 4, t_tau 1, 2, ... as in a sweep row, or with
    ``kd_ways`` one student per method at its defaults (a comparison's pack).
    """
    from ats_ms.engine.cells import FrozenTeacher, StudentsWithLoss, TrainStep
    from ats_ms.losses import DistillLoss, create_loss
    from ats_ms.models import create_model
    pack = len(kd_ways) if kd_ways else pack
    teacher = create_model(t_net, n_classes)
    students = [create_model(s_net, n_classes) for _ in range(pack)]
    frozen = FrozenTeacher(teacher, fold_bn=fold_bn)
    losses = [create_loss(kd_way) for kd_way in kd_ways] if kd_ways else \
        [DistillLoss("ATS", 4.0, 2.0 if pack == 1 else 1.0 + k) for k in range(pack)]
    net = StudentsWithLoss(students, frozen, losses)
    step = TrainStep(net, [_optimizer(student, loss) for student, loss in zip(students, losses)])
    step.set_train(True)
    return step


def build_part(name, t_net, s_net, n_classes, fold_bn=True):
    """A graph-mode cell for one of ``PARTS``; call it with (images, labels), read its first output."""
    import mindspore as ms
    from mindspore import nn, ops

    from ats_ms.engine.cells import FrozenTeacher, StudentsWithLoss, TrainStep
    from ats_ms.losses import DistillLoss
    from ats_ms.models import create_model
    if name == "fused_step":
        return build_fused_step(t_net, s_net, n_classes, fold_bn)
    if name == "teacher_forward":
        teacher = FrozenTeacher(create_model(t_net, n_classes), fold_bn=fold_bn)
        return lambda images, labels: (teacher(images),)
    student = create_model(s_net, n_classes)
    with_loss = StudentsWithLoss([student], None, [DistillLoss("none")])
    with_loss.set_train(True)
    if name == "student_forward":
        return with_loss
    optimizer = _optimizer(student)
    if name == "student_step":
        step = TrainStep(with_loss, [optimizer])
        step.set_train(True)
        return step

    class ForwardBackward(nn.Cell):
        def __init__(self):
            super().__init__(auto_prefix=False)
            self.network = with_loss
            self.grad_fn = ms.value_and_grad(with_loss, None, optimizer.parameters, has_aux=True)

        def construct(self, images, labels):
            (loss, _, _), grads = self.grad_fn(images, labels)
            return (ops.depend(loss, grads),)

    cell = ForwardBackward()
    cell.set_train(True)
    return cell


def time_part(name, t_net, s_net, batch_size, n_classes, steps, fold_bn=True, before=None, image_size=32):
    """Build, compile (two warm calls) and time one part; returns seconds per step.

    ``before`` (callable | None) runs right before the timed calls (the profiler's marker).
    """
    import mindspore as ms
    cell = build_part(name, t_net, s_net, n_classes, fold_bn)
    x, y = (ms.Tensor(a) for a in synthetic_batch(batch_size, n_classes, image_size=image_size))

    def run():
        return cell(x, y)[0].asnumpy()

    seconds_per_call(run, 0, warmup=2)
    if before is not None:
        before()
    return seconds_per_call(run, steps, warmup=0)
