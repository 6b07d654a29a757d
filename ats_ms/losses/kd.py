r"""Knowledge distillation (Hinton et al., 2015) as mdistiller computes it (``mdistiller/distillers/KD.py``), and
logit standardisation (LS: Sun et al., CVPR 2024, sunshangquan/logit-standardization-KD, the same file), which is KD
on z-scored logits with its own defaults:

.. math::
    L = w_{ce}\, CE(s, y) + w_{kd}\, T^2 \frac{1}{N}\sum_n \sum_c p_{nc} (\log p_{nc} - \log q_{nc}),\quad
    p = \mathrm{softmax}(t / T),\ q = \mathrm{softmax}(s / T)

The KL divergence is summed over classes and averaged over the batch (``reduction="none").sum(1).mean()`` there),
not MindSpore's ``ops.kl_div`` default (a mean over all elements, C times smaller). Logs come from ``log_softmax``
of the teacher too, so a vanishing teacher probability contributes 0, never NaN.
"""
from mindspore import ops

from ats_ms.losses.functional import _fp32, cross_entropy
from ats_ms.losses.standardize import standardize_both


def kl_batchmean(teacher_log_probs, student_log_probs):
    """Batch mean of KL(p || q) = sum_c p_c (log p_c - log q_c) from log-probabilities (N, C); scalar float32."""
    return (ops.exp(teacher_log_probs) * (teacher_log_probs - student_log_probs)).sum(axis=-1).mean()


EXPM1_LIMIT = 20.0
EXCLUDED = 1e9  # subtracted from excluded columns: their probability is exactly 0


def kl_from_logits(t_scaled, s_scaled, exclude=None):
    """Per-row KL(softmax(t) || softmax(s)) of scaled logits (N, C), accurate when they are close; with ``exclude``
    (an (N, C) 0/1 mask) both distributions are taken over the other columns (DKD's non-target classes).

    With u = s - t centred by its mean under p = softmax(t), KL = log sum_c p_c exp(u_c) = log1p(sum_c p_c
    expm1(u_c)): no cancellation between two log-partition functions, which would cost T^2 times float32's
    rounding (CTKD's learned T reaches 20). Rows with max u >= 20 (far apart, no cancellation to fear) take the
    plain sum_c p_c (log p_c - log q_c).

    Returns:
        Tensor: (N,) float32.
    """
    shift = 0.0 if exclude is None else EXCLUDED * exclude
    log_p = ops.log_softmax(t_scaled - shift, axis=-1)
    p = ops.exp(log_p)
    u = s_scaled - t_scaled
    u = u - (p * u).sum(axis=-1, keepdims=True)
    near = ops.log1p((p * ops.expm1(ops.minimum(u, EXPM1_LIMIT))).sum(axis=-1))
    far = (p * (log_p - ops.log_softmax(s_scaled - shift, axis=-1))).sum(axis=-1)
    return ops.select(u.max(axis=-1) < EXPM1_LIMIT, near, far)


def kd_term(s_logits, t_logits, temperature):
    """T^2 KL(softmax(t / T) || softmax(s / T)), batch mean; ``temperature`` a float or a scalar Tensor (CTKD).

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient).
        temperature (float | Tensor): T.

    Returns:
        Tensor: scalar float32.
    """
    return temperature * temperature * kl_from_logits(t_logits / temperature, s_logits / temperature).mean()


def kd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, logit_std=False):
    """The KD method: ce_weight * CE(s, y) + kd_weight * ``kd_term`` at temperature ``t_tau`` (on standardised logits
    when ``logit_std``; the cross-entropy keeps the raw logits, as the LS code).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; labels (Tensor): (N,).
        t_tau (float): T; ce_weight, kd_weight (float): weights; logit_std (bool).

    Returns:
        Tensor: scalar float32.
    """
    s_logits = _fp32(s_logits)
    s_kd, t_kd = standardize_both(s_logits, ops.stop_gradient(_fp32(t_logits)), logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * kd_term(s_kd, t_kd, t_tau)


def ls_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight):
    """The LS method: ``kd_objective`` on standardised logits (its defaults: T 2, ce 0.1, kd 9).

    Returns:
        Tensor: scalar float32.
    """
    return kd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, True)
