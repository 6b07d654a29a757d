"""The ATS and TS Cells (thin wrappers around ``ats_ms.losses.functional``) and ``DistillLoss``, the objective of
kd_way ATS, TS or none with the demo's arguments (built through the method registry).

All Cells take ``construct(s_logits, t_logits, labels)`` with s_logits/t_logits (N, C) of any float dtype and labels
(N,) int32/int64/uint32, and return a float32 scalar. Teacher logits never receive gradient.
"""
from mindspore import nn

from ats_ms.losses.functional import ats_kd_loss
from ats_ms.losses.registry import create_loss, get
from ats_ms.utils.checks import check_temperature, check_unit_interval


class ATSLoss(nn.Cell):
    """ATS knowledge-distillation term: s_tau^2 * mean_n(-sum_c q_c log_softmax(s / s_tau)_c).

    q is the teacher distribution with temperature ``tp_tau`` on the label column and ``t_tau`` on the others
    (Li et al., NeurIPS 2022). The paper's ATS uses tp_tau > t_tau.

    Args:
        tp_tau (float): temperature of the label column (tau_1), in [1e-4, 1e4].
        t_tau (float): temperature of the wrong classes (tau_2), in [1e-4, 1e4].
        s_tau (float): student temperature, in [1e-4, 1e4]. Default 1.0.

    Inputs:
        - **s_logits** (Tensor) - (N, C) student logits.
        - **t_logits** (Tensor) - (N, C) teacher logits.
        - **labels** (Tensor) - (N,) ground-truth labels.

    Outputs:
        Tensor, scalar float32.

    Raises:
        ValueError: a temperature outside [1e-4, 1e4], NaN, inf or not a number.
    """

    def __init__(self, tp_tau, t_tau, s_tau=1.0):
        super().__init__()
        self.tp_tau = check_temperature("tp_tau", tp_tau)
        self.t_tau = check_temperature("t_tau", t_tau)
        self.s_tau = check_temperature("s_tau", s_tau)

    def construct(self, s_logits, t_logits, labels):
        return ats_kd_loss(s_logits, t_logits, labels, self.tp_tau, self.t_tau, self.s_tau)


class TSLoss(ATSLoss):
    """Plain temperature-scaling KD term (Hinton et al.): exactly ``ATSLoss(tau, tau, s_tau)``.

    Args:
        tau (float): teacher temperature for every class, in [1e-4, 1e4].
        s_tau (float): student temperature. Default 1.0.

    Inputs/Outputs: as ``ATSLoss``.
    """

    def __init__(self, tau, s_tau=1.0):
        tau = check_temperature("tau", tau)
        super().__init__(tau, tau, s_tau)


LENIENT = ("ATS", "TS", "none")  # DistillLoss has always accepted (and ignored) every argument for these


class DistillLoss(nn.Cell):
    """Total distillation objective: (1 - lamb) * CE(s, y) + lamb * s_tau^2 * soft CE(s, q).

    Args:
        kd_way (str): ``"ATS"`` (q with tp_tau on the label column, t_tau elsewhere), ``"TS"`` (t_tau everywhere, as
            the official demo's TS runs; tp_tau is ignored) or ``"none"`` (plain CE; the teacher logits are
            ignored). Case-insensitive. Other methods: ``ats_ms.create_loss``.
        tp_tau (float): label-column temperature for ATS. Default (None): the method's, 4.0.
        t_tau (float): wrong-class temperature (ATS) or the single temperature (TS, KD, ...). Default: the method's
            (ATS and TS 3.0, KD 4.0, ...).
        s_tau (float): student temperature. Default 1.0.
        lamb (float): weight of the KD term, in [0, 1]. Default 0.5.

    Inputs:
        - **s_logits** (Tensor) - (N, C) student logits.
        - **t_logits** (Tensor) - (N, C) teacher logits (unused with kd_way "none").
        - **labels** (Tensor) - (N,) ground-truth labels.

    Outputs:
        Tensor, scalar float32.

    Attributes ``tp_tau``, ``t_tau``, ``s_tau``, ``lamb``: the values in use (None where the method has none).

    Raises:
        ValueError: unknown kd_way, a temperature <= 0 or not finite, lamb outside [0, 1], or (for a peer method)
            an argument it does not use.
    """

    def __init__(self, kd_way="ATS", tp_tau=None, t_tau=None, s_tau=None, lamb=None):
        super().__init__()
        method = get(kd_way)
        checks = {"tp_tau": check_temperature, "t_tau": check_temperature, "s_tau": check_temperature,
                  "lamb": check_unit_interval}
        given = {name: checks[name](name, value) for name, value in
                 (("tp_tau", tp_tau), ("t_tau", t_tau), ("s_tau", s_tau), ("lamb", lamb)) if value is not None}
        if method.name not in LENIENT:  # the demo's arguments that a peer method does not use are refused
            given = method.check_hyper({k: v for k, v in given.items() if k not in method.tied}, str)
        self.kd_way = method.name
        self.objective = create_loss(method.name, **{k: v for k, v in given.items() if k in method.hyper_names})
        self.use_teacher = method.needs_teacher
        values = self.objective.hyper
        for name in ("tp_tau", "t_tau", "s_tau", "lamb"):
            setattr(self, name, values.get(method.tied.get(name, name)))

    def construct(self, s_logits, t_logits, labels):
        return self.objective(s_logits, t_logits, labels)
