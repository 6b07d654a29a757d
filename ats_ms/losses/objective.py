"""The Cell of a registered method: its pure objective with the hyper-parameters bound (``create_loss`` builds it).

Validation happened in the registry (``Method.check_hyper``); the Cell only holds Python floats and calls the
function, so it is graph-safe and every method shares it unless its entry names its own Cell.
"""
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
    """

    def __init__(self, method, values):
        super().__init__()
        self.kd_way = method.name
        self.hyper = dict(values)
        self.args = tuple(values[name] for name in method.hyper_names)
        self.fn = method.objective_fn()

    def construct(self, s_logits, t_logits, labels):
        return self.fn(s_logits, t_logits, labels, *self.args)

    def extend_repr(self):
        return f"kd_way={self.kd_way}, " + ", ".join(f"{k}={v}" for k, v in self.hyper.items())
