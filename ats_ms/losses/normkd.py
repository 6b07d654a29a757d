r"""NormKD ("NormKD: Normalized Logits for Knowledge Distillation", 2023), as the authors' code computes it
(gizi1/NormKD at 279371b, ``mdistiller/distillers/NormKD.py``, ``kd_loss_normal``; defaults from
``mdistiller/engine/cfg.py``, ``CFG.NormKD``):

.. math::
    T^t_n = T_{norm}\,\sigma(t_n),\ T^s_n = T_{norm}\,\sigma(s_n);\qquad
    L = w_{ce}\, CE(s, y) + w_{kd} \frac{1}{N}\sum_n (T^t_n)^2\, KL(\mathrm{softmax}(t_n / T^t_n) \|
        \mathrm{softmax}(s_n / T^s_n))

with sigma the unbiased standard deviation of a row over its classes; the student's keeps its gradient, as theirs.
Theirs divides by a zero std (a constant row) and gives NaN; ours floors the std at ``NORMKD_STD_FLOOR`` (1e-6),
taken on the variance before the square root so that the gradient stays finite too: a constant row becomes the
uniform distribution, and a constant teacher row weighs (2e-6)^2, nothing. Rows with a larger std are unchanged. Each
row is centred before it is divided by its temperature (the same softmax; theirs divides the raw logits), which keeps
float32's digits when the std is small beside the mean.
"""
from mindspore import ops

from ats_ms.losses.functional import cross_entropy, kd_inputs, kl_from_logits
from ats_ms.losses.standardize import centred_variance

NORMKD_STD_FLOOR = 1e-6


def row_std(logits):
    """Unbiased standard deviation of each row, floored at ``NORMKD_STD_FLOOR``.

    Args:
        logits (Tensor): (N, C) float32, C >= 2.

    Returns:
        Tensor: (N, 1) float32.
    """
    _, variance = centred_variance(logits)
    return ops.sqrt(ops.maximum(variance, NORMKD_STD_FLOOR * NORMKD_STD_FLOOR))


def _centred(logits):
    """Each row minus its mean (no gradient through the mean: softmax ignores a shift), so that dividing by a small
    temperature does not push the row's differences below float32's resolution of a large mean."""
    return logits - ops.stop_gradient(ops.mean(logits, -1, True))


def normkd_term(s_logits, t_logits, normkd_t_norm):
    """Batch mean of T_t^2 KL(softmax(t / T_t) || softmax(s / T_s)) with per-sample temperatures T = T_norm * std.

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient), C >= 2.
        normkd_t_norm (float): T_norm.

    Returns:
        Tensor: scalar float32.
    """
    t_temp = normkd_t_norm * row_std(t_logits)
    s_temp = normkd_t_norm * row_std(s_logits)
    kl = kl_from_logits(_centred(t_logits) / t_temp, _centred(s_logits) / s_temp)
    return (kl * (t_temp * t_temp).squeeze(-1)).mean()


def normkd_objective(s_logits, t_logits, labels, normkd_t_norm, ce_weight, kd_weight, logit_std=False):
    """The NormKD method: ce_weight * CE(s, y) + kd_weight * ``normkd_term`` (on standardised logits when
    ``logit_std``; the cross-entropy keeps the raw logits).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype, C >= 2; labels (Tensor): (N,).
        normkd_t_norm, ce_weight, kd_weight (float); logit_std (bool).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * normkd_term(s_kd, t_kd, normkd_t_norm)
