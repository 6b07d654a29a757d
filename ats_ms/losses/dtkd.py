r"""Dynamic temperature knowledge distillation (DTKD: "Dynamic Temperature Knowledge Distillation", arXiv 2404.12711),
as the authors' code computes it (JinYu1998/DTKD at 9ebaa97, ``mdistiller/distillers/DTKD.py``; defaults from
``mdistiller/engine/cfg.py``, ``CFG.DTKD``):

.. math::
    T^s_n = \frac{2 m^s_n}{m^s_n + m^t_n} T,\quad T^t_n = \frac{2 m^t_n}{m^s_n + m^t_n} T;\qquad
    L = w_{ce}\, CE(s, y) + \min(e / W, 1) \Big(\alpha \frac{1}{N}\sum_n T^t_n T^s_n\,
        KL(\mathrm{softmax}(t_n / T^t_n) \| \mathrm{softmax}(s_n / T^s_n)) + \beta\, T^2\, KD_T\Big)

with m the row maxima of the logits, e the 1-based epoch and W the warm-up (0: none; theirs divides by it). The
temperatures keep their gradient (through the student's maximum), as theirs. Theirs turns a temperature negative
when one maximum is negative and divides by zero when m_s + m_t = 0; ours floors each maximum at
``DTKD_MAX_FLOOR`` (1e-3), so both temperatures are positive, T_s + T_t = 2T still holds and the sum divided by is at
least 2e-3. Rows whose maxima are both at least the floor are unchanged. The logits are shifted by their row maxima
before the division (the same softmax), which keeps float32's digits at a small temperature. At a tied maximum the
maximum's gradient is shared equally by the tied entries (theirs gives it to one).
"""
import mindspore as ms
from mindspore import ops

from ats_ms.losses.dkd import warmup_factor
from ats_ms.losses.functional import cross_entropy, kd_inputs, kl_from_logits
from ats_ms.losses.kd import kd_term

DTKD_MAX_FLOOR = 1e-3


def row_max(logits):
    """(N, 1) row maxima whose gradient is shared equally by tied entries (the central difference's value; MindSpore's
    and torch's max give it all to one entry). Ties are common with bfloat16 logits."""
    top = ops.stop_gradient(logits.max(axis=-1, keepdims=True))
    ties = ops.stop_gradient(ops.cast(logits == top, ms.float32))
    share = ties / ties.sum(axis=-1, keepdims=True)
    return top + (share * (logits - ops.stop_gradient(logits))).sum(axis=-1, keepdims=True)


def dtkd_temperatures(s_logits, t_logits, t_tau):
    """Per-sample temperatures (student, teacher) from the floored row maxima.

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient).
        t_tau (float): the reference temperature T.

    Returns:
        tuple[Tensor, Tensor]: (N, 1) float32 each, positive, summing to 2T.
    """
    s_max = ops.maximum(row_max(s_logits), DTKD_MAX_FLOOR)
    t_max = ops.maximum(row_max(t_logits), DTKD_MAX_FLOOR)
    scale = 2.0 * t_tau / (s_max + t_max)
    return s_max * scale, t_max * scale


def _from_max(logits):
    """Each row minus its maximum (no gradient through this shift: softmax ignores it), so that a small temperature
    does not push the row's differences below float32's resolution."""
    return logits - ops.stop_gradient(logits.max(axis=-1, keepdims=True))


def dtkd_term(s_logits, t_logits, t_tau, dtkd_alpha, dtkd_beta):
    """alpha * (batch mean of T_t T_s KL at the dynamic temperatures) + beta * ``kd_term`` at T.

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient).
        t_tau, dtkd_alpha, dtkd_beta (float): T, alpha, beta.

    Returns:
        Tensor: scalar float32.
    """
    s_temp, t_temp = dtkd_temperatures(s_logits, t_logits, t_tau)
    kl = kl_from_logits(_from_max(t_logits) / t_temp, _from_max(s_logits) / s_temp)
    dynamic = (kl * (t_temp * s_temp).squeeze(-1)).mean()
    return dtkd_alpha * dynamic + dtkd_beta * kd_term(s_logits, t_logits, t_tau)


def dtkd_objective(s_logits, t_logits, labels, t_tau, ce_weight, dtkd_alpha, dtkd_beta, dtkd_warmup,
                   logit_std=False, *, epoch):
    """The DTKD method: ce_weight * CE(s, y) + ``warmup_factor`` * ``dtkd_term`` (on standardised logits when
    ``logit_std``; the cross-entropy keeps the raw logits and is not warmed up, as theirs).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; labels (Tensor): (N,).
        t_tau, ce_weight, dtkd_alpha, dtkd_beta (float); dtkd_warmup (int); logit_std (bool).
        epoch (float | Tensor): the 1-based epoch (``EpochObjective`` passes its Parameter).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + \
        warmup_factor(epoch, dtkd_warmup) * dtkd_term(s_kd, t_kd, t_tau, dtkd_alpha, dtkd_beta)
