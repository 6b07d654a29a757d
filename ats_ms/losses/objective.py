"""The Cells of registered methods: a pure objective with its hyper-parameters bound (``create_loss`` builds them).

Validation happened in the registry (``Method.check_hyper``); a Cell holds Python values and calls the function, so
it is graph-safe. Every Cell takes (s_logits, t_logits, labels) and offers ``set_epoch(epoch)`` (the 1-based epoch,
for objectives that change with it: a Parameter set between epochs, so the graph is never recompiled) and ``state()``
(values to log after an epoch, e.g. CTKD's learned temperature).
"""
import mindspore as ms
from mindspore import nn


class Objective(nn.Cell):
    """A method's whole objective.

    Args:
        method (ats_ms.losses.registry.Method): the registry entry.
        values (dict): {hyper-parameter: checked value} (``Method.check_hyper``).

    Inputs:
        - **s_logits** (Tensor) - (N, C) student logits, any float dtype.
        - **t_logits** (Tensor) - (N, C) teacher logits (no gradient flows into them; unread by kd_way none).
        - **labels** (Tensor) - (N,) ground-truth labels (int32, int64 or uint32).

    Outputs:
        Tensor, scalar float32.

    Raises:
        ValueError: at compile time, fewer classes than the method is defined for (DKD: 3).
    """

    def __init__(self, method, values):
        super().__init__()
        self.kd_way = method.name
        self.hyper = dict(values)
        self.args = tuple(values[name] for name in method.hyper_names)
        self.fn = method.objective_fn()
        self.min_classes = method.min_classes

    def check_classes(self, s_logits):
        if s_logits.shape[-1] < self.min_classes:
            raise ValueError(f"kd_way {self.kd_way} needs at least {self.min_classes} classes, got "
                             f"{s_logits.shape[-1]}")

    def construct(self, s_logits, t_logits, labels):
        self.check_classes(s_logits)
        return self.fn(s_logits, t_logits, labels, *self.args)

    def set_epoch(self, epoch):
        """Set the 1-based epoch (nothing to do for an objective that does not depend on it)."""

    def state(self):
        """{name: float} to log after an epoch (none here)."""
        return {}

    def extend_repr(self):
        return f"kd_way={self.kd_way}, " + ", ".join(f"{k}={v}" for k, v in self.hyper.items())


class EpochObjective(Objective):
    """The Cell of a method that declares ``uses_epoch``: its objective gets the 1-based epoch as the keyword
    ``epoch`` (DKD's warm-up), held in a Parameter that ``set_epoch`` changes between epochs (inside the compiled
    graph, in normal and dataset sink mode alike).

    Args/Inputs/Outputs: as ``Objective``.
    """

    def __init__(self, method, values):
        super().__init__(method, values)
        self.epoch = ms.Parameter(ms.Tensor(1.0, ms.float32), name="epoch", requires_grad=False)

    def construct(self, s_logits, t_logits, labels):
        self.check_classes(s_logits)
        return self.fn(s_logits, t_logits, labels, *self.args, epoch=self.epoch)

    def set_epoch(self, epoch):
        self.epoch.set_data(ms.Tensor(float(epoch), ms.float32))
