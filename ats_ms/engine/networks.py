"""The networks Model.train runs: a frozen teacher, the student-with-loss, and the one-step training cell.

The teacher sits inside the same graph as the student but is frozen three ways: its parameters have
``requires_grad=False`` and are not given to the optimizer; its output is under ``stop_gradient``; and
``FrozenTeacher`` refuses the ``training`` flag that ``Model.train`` sets recursively, so its BatchNorms always use,
and never update, their moving statistics.
"""
import mindspore as ms
from mindspore import nn, ops


class FrozenTeacher(nn.Cell):
    """Inference-only wrapper. Inputs: images (N, 3, H, W). Outputs: logits (N, C) without gradient.

    Args:
        teacher (nn.Cell): the loaded teacher network.
        fold_bn (bool): fold its BatchNorms into the preceding convolutions first (same logits up to float
            rounding, one pass fewer over each activation). The teacher's own cell is modified in place.
    """

    def __init__(self, teacher, fold_bn=False):
        super().__init__()
        if fold_bn:
            from ats_ms.models.fold import fold_batchnorm
            fold_batchnorm(teacher)
        self.teacher = teacher
        for param in teacher.get_parameters():
            param.requires_grad = False
        super().add_flags_recursive(training=False)

    def add_flags_recursive(self, **flags):
        if "training" in flags:
            flags["training"] = False
        return super().add_flags_recursive(**flags)

    def construct(self, images):
        return ops.stop_gradient(self.teacher(images))


class StudentWithLoss(nn.Cell):
    """Student forward (+ teacher forward) and the distillation loss.

    Args:
        student (nn.Cell): network being trained.
        teacher (FrozenTeacher | None): frozen teacher, or None for a plain (CE-only) student.
        loss_fn (nn.Cell): ``DistillLoss``-like cell taking (s_logits, t_logits, labels).

    Inputs: images (N, 3, H, W), labels (N,). Outputs: (loss scalar, student logits (N, C)).

    ``auto_prefix=False`` keeps the student's parameter names bare (the demo's checkpoint names); the teacher's get
    the ``teacher.`` prefix from ``FrozenTeacher``.
    """

    def __init__(self, student, teacher, loss_fn):
        super().__init__(auto_prefix=False)
        self.student = student
        self.teacher = teacher
        self.loss_fn = loss_fn
        self.has_teacher = teacher is not None

    def construct(self, images, labels):
        logits = self.student(images)
        t_logits = self.teacher(images) if self.has_teacher else logits
        return self.loss_fn(logits, t_logits, labels), logits


class TrainStep(nn.Cell):
    """One optimisation step of the student; returns (loss, batch accuracy, applied flag).

    Args:
        net_with_loss (StudentWithLoss): returns (loss, logits).
        optimizer (nn.Optimizer): built on the student's parameters only.
        skip_nonfinite (bool): when True, a step whose loss is NaN/inf leaves parameters and optimizer state untouched
            (MindSpore's loss-scale idiom of a conditional update); when False the step is applied and the trainer
            stops the run.
        grad_reducer (nn.Cell | None): gradient all-reduce for data parallelism.
    """

    def __init__(self, net_with_loss, optimizer, skip_nonfinite=False, grad_reducer=None):
        super().__init__(auto_prefix=False)
        self.network = net_with_loss
        self.optimizer = optimizer
        self.weights = optimizer.parameters
        self.grad_fn = ms.value_and_grad(net_with_loss, None, self.weights, has_aux=True)
        self.grad_reducer = grad_reducer if grad_reducer is not None else ops.identity
        self.skip_nonfinite = skip_nonfinite

    def construct(self, images, labels):
        (loss, logits), grads = self.grad_fn(images, labels)
        grads = self.grad_reducer(grads)
        accuracy = (ops.argmax(logits, dim=1) == ops.cast(labels, ms.int32)).astype(ms.float32).mean()
        finite = ops.isfinite(loss)
        if self.skip_nonfinite:
            if finite:
                loss = ops.depend(loss, self.optimizer(grads))
        else:
            loss = ops.depend(loss, self.optimizer(grads))
        return loss, accuracy, finite
