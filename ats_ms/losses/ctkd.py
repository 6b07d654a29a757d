r"""Curriculum temperature knowledge distillation (Li et al., "Curriculum Temperature for Knowledge Distillation",
AAAI 2023; zhengli97/CTKD): KD whose temperature is learned adversarially,

.. math::
    T = t_{start} + t_{end}\,\sigma(\theta), \qquad
    L = w_{ce}\, CE(s, y) + w_{kd}\, T^2\, KL(\mathrm{softmax}(t / T) \,\|\, \mathrm{softmax}(s / T))

theta is a scalar per student, starting at 1 (``models/temp_global.py``), trained by that student's optimizer (with
its weight decay, as ``train_student.py`` puts it in the SGD parameter list) through a gradient-reversal layer: its
gradient is multiplied by lambda, which follows a cosine from 0 to -1 over ``ctkd_decay_epochs`` indexed by the
1-based epoch (``train_student.py``'s CosineDecay(max 0, min -1)), so the temperature moves to make distillation
harder. The KL is ``distiller_zoo/KD.py``'s batchmean x T^2.
"""
import math

import mindspore as ms
from mindspore import nn, ops

from ats_ms.losses.functional import as_float32, cross_entropy
from ats_ms.losses.kd import kd_term
from ats_ms.losses.objective import EpochObjective


class GradientReversal(nn.Cell):
    """Identity forward; the backward pass multiplies the gradient by ``lam`` (reversed when lam < 0).

    Inputs: x (Tensor), lam (Tensor, scalar). Outputs: x.
    """

    def construct(self, x, lam):
        return x

    def bprop(self, x, lam, out, dout):
        return dout * lam, ops.zeros_like(lam)


def reversal_factor(epoch, decay_epochs):
    """CTKD's lambda at the 1-based ``epoch`` (scalar Tensor): 0.5 (cos(pi min(e, D) / D) + 1) - 1, from 0 to -1."""
    e = ops.clip_by_value(epoch, 0.0, float(decay_epochs))
    return (ops.cos(e * (math.pi / decay_epochs)) + 1.0) * 0.5 - 1.0


def learned_temperature(theta, ctkd_t_start, ctkd_t_end):
    """T = t_start + t_end * sigmoid(theta)."""
    return ctkd_t_start + ctkd_t_end * ops.sigmoid(theta)


def ctkd_objective(s_logits, t_logits, labels, ctkd_t_start, ctkd_t_end, ctkd_decay_epochs, ce_weight, kd_weight,
                   theta, *, epoch):
    """The CTKD objective's forward value at ``theta`` (a scalar Tensor; ``CTKDObjective`` passes it through the
    gradient reversal): ce_weight * CE(s, y) + kd_weight * ``kd_term`` at the learned temperature.

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; labels (Tensor): (N,).
        ctkd_t_start, ctkd_t_end (float); ctkd_decay_epochs (int, read by the Cell); ce_weight, kd_weight (float).
        theta (Tensor): scalar.
        epoch (Tensor): the 1-based epoch; the value does not depend on it (the Cell reverses theta's gradient by
            ``reversal_factor(epoch)``).

    Returns:
        Tensor: scalar float32.
    """
    s_logits = as_float32(s_logits)
    t_logits = ops.stop_gradient(as_float32(t_logits))
    temperature = learned_temperature(theta, ctkd_t_start, ctkd_t_end)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * kd_term(s_logits, t_logits, temperature)


class CTKDObjective(EpochObjective):
    """CTKD with its learned temperature: ``theta`` (trainable, starts at 1) and the epoch (set between epochs).

    Args:
        method (Method): the registry's CTKD entry; values (dict): its checked hyper-parameters.

    Inputs/Outputs: as ``Objective``. ``state()`` gives the learned temperature (logged every epoch).
    """

    def __init__(self, method, values):
        super().__init__(method, values)
        self.theta = ms.Parameter(ms.Tensor(1.0, ms.float32), name="ctkd_theta")
        self.decay_epochs = values["ctkd_decay_epochs"]
        self.reverse = GradientReversal()

    def construct(self, s_logits, t_logits, labels):
        self.check_classes(s_logits)
        theta = self.reverse(self.theta, reversal_factor(self.epoch, self.decay_epochs))
        return self.fn(s_logits, t_logits, labels, *self.args, theta, epoch=self.epoch)

    def state(self):
        theta = float(self.theta.asnumpy())
        return {"temperature": self.hyper["ctkd_t_start"] + self.hyper["ctkd_t_end"] / (1.0 + math.exp(-theta))}
