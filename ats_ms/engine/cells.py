"""The cells Model.train runs: a frozen teacher, K students with their losses, the one-step cell, the eval cell.

One graph trains a *pack* of K students (K = 1 for an ordinary run) from one teacher forward per batch. Each student
has its own loss (its own kd_way, tp_tau, t_tau, s_tau, lamb), parameters, BatchNorm statistics and optimizer; the
pack's objective is the sum of the students' losses, whose gradient with respect to one student's parameters is that
student's own gradient, so every student trains exactly as it would alone.

The teacher is frozen three ways: its parameters have ``requires_grad=False`` and reach no optimizer; its output is
under ``stop_gradient``; and ``FrozenTeacher`` refuses the ``training`` flag that ``Model.train`` sets recursively, so
its BatchNorms always use, and never update, their moving statistics.
"""
import mindspore as ms
import numpy as np
from mindspore import nn, ops


class FrozenTeacher(nn.Cell):
    """Inference-only wrapper. Inputs: images (N, 3, H, W). Outputs: logits (N, C) without gradient.

    Args:
        teacher (nn.Cell): the loaded teacher network.
        fold_bn (bool): fold its BatchNorms into the preceding convolutions first (same logits up to float
            rounding, one pass fewer over each activation). The teacher's own cell is modified in place.

    Attributes:
        param_count (int): the teacher's trainable parameters as loaded (before folding and freezing).
    """

    def __init__(self, teacher, fold_bn=False):
        super().__init__()
        from ats_ms.models.layers import param_count
        self.param_count = param_count(teacher)  # as loaded: before folding and freezing
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


class StudentsWithLoss(nn.Cell):
    """One teacher forward, then every student's forward and loss.

    Args:
        students (list[nn.Cell]): the K networks being trained (their parameter names get the prefix ``k.``).
        teacher (FrozenTeacher | None): frozen teacher, or None when no loss uses one.
        loss_fns (list[nn.Cell]): one method Cell per student (``create_loss``), taking (s_logits, t_logits, labels).

    Inputs: images (N, 3, H, W), labels (N,).
    Outputs: (sum of the K losses (scalar), losses (K,), batch accuracies (K,)).
    """

    def __init__(self, students, teacher, loss_fns):
        super().__init__(auto_prefix=False)
        self.students = nn.CellList(students)
        self.loss_fns = nn.CellList(loss_fns)
        self.teacher = teacher
        self.has_teacher = teacher is not None

    def construct(self, images, labels):
        labels32 = ops.cast(labels, ms.int32)
        t_logits = self.teacher(images) if self.has_teacher else None
        losses, accuracies = [], []
        for student, loss_fn in zip(self.students, self.loss_fns):
            logits = student(images)
            losses.append(loss_fn(logits, t_logits if self.has_teacher else logits, labels))
            accuracies.append((ops.argmax(logits, dim=1) == labels32).astype(ms.float32).mean())
        losses = ops.stack(losses)
        return losses.sum(), losses, ops.stack(accuracies)


class _NoReduce(nn.Cell):
    def construct(self, grads):
        return grads


class TrainStep(nn.Cell):
    """One optimisation step of every student of a pack; also sums the epoch's statistics on the device.

    Args:
        net_with_loss (StudentsWithLoss): returns (total loss, losses (K,), accuracies (K,)).
        optimizers (list[nn.Optimizer]): one per student, built on that student's parameters only.
        skip_nonfinite (bool): when True, a student whose loss is NaN/inf leaves its parameters and optimizer
            moments untouched for that step (its learning-rate schedule still advances); when False every step is
            applied and the trainer stops the student.
        grad_reducers (list[nn.Cell] | None): gradient all-reduce per student for data parallelism.

    Inputs: images (N, 3, H, W), labels (N,).
    Outputs: (losses (K,), batch accuracies (K,), finite flags (K,)). ``stats`` accumulates, per student, the sum of
    finite losses, the sum of their batch accuracies and the number of finite and of non-finite steps (read and
    reset by ``take_stats``), which is how epoch means are known in dataset sink mode too.
    """

    def __init__(self, net_with_loss, optimizers, skip_nonfinite=False, grad_reducers=None):
        super().__init__(auto_prefix=False)
        self.network = net_with_loss
        self.optimizers = nn.CellList(optimizers, auto_prefix=False)  # keep the students' parameter names
        self.grad_reducers = nn.CellList(grad_reducers or [_NoReduce() for _ in optimizers], auto_prefix=False)
        weights = [p for optimizer in optimizers for p in optimizer.parameters]
        bounds, start = [], 0
        for optimizer in optimizers:
            bounds.append((start, start + len(optimizer.parameters)))
            start += len(optimizer.parameters)
        self.bounds = tuple(bounds)
        self.grad_fn = ms.value_and_grad(net_with_loss, None, ms.ParameterTuple(weights), has_aux=True)
        self.skip_nonfinite = skip_nonfinite
        self.stats = ms.Parameter(ms.Tensor(np.zeros((4, len(optimizers)), np.float32)), name="pack_epoch_stats",
                                  requires_grad=False)

    def construct(self, images, labels):
        (_, losses, accuracies), grads = self.grad_fn(images, labels)
        finite = ops.isfinite(losses)
        k = 0
        for optimizer, reducer in zip(self.optimizers, self.grad_reducers):
            start, end = self.bounds[k]
            member_grads = reducer(grads[start:end])
            if self.skip_nonfinite:
                if finite[k]:
                    losses = ops.depend(losses, optimizer(member_grads))
                else:
                    losses = ops.depend(losses, ops.assign_add(optimizer.global_step,
                                                               optimizer.global_step_increase_tensor))
            else:
                losses = ops.depend(losses, optimizer(member_grads))
            k += 1
        ok = finite.astype(ms.float32)
        zeros = ops.zeros_like(losses)
        step_stats = ops.stack([ops.select(finite, losses, zeros), ops.select(finite, accuracies, zeros), ok, 1 - ok])
        losses = ops.depend(losses, ops.assign_add(self.stats, step_stats))
        return losses, accuracies, finite

    def take_stats(self):
        """Per student: (mean finite loss, mean batch accuracy, finite steps, non-finite steps); resets the sums."""
        sums = self.stats.asnumpy().astype(np.float64)
        self.stats.set_data(ms.Tensor(np.zeros(sums.shape, np.float32)))
        steps = np.maximum(sums[2], 1)
        loss = np.where(sums[2] > 0, sums[0] / steps, np.nan)
        return [(float(loss[k]), float(sums[1][k] / steps[k]), int(sums[2][k]), int(sums[3][k]))
                for k in range(sums.shape[1])]


class EvalStudents(nn.Cell):
    """Every student of a pack on one batch, in inference mode. Inputs: images (N, 3, H, W). Outputs: (K, N, C)."""

    def __init__(self, students):
        super().__init__(auto_prefix=False)
        self.students = nn.CellList(students)

    def construct(self, images):
        return ops.stack([student(images) for student in self.students])
