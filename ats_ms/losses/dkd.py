r"""Decoupled knowledge distillation (Zhao et al., "Decoupled Knowledge Distillation", CVPR 2022), as mdistiller
computes it (``mdistiller/distillers/DKD.py``), and with ``logit_std`` as the logit-standardisation code's ``DKD.py``
(both logits z-scored first):

.. math::
    L = w_{ce}\, CE(s, y) + \min(e / W, 1)\,(\alpha\, TCKD + \beta\, NCKD)

TCKD is T^2 KL of the binary distributions (target class, all others) and NCKD T^2 KL of the distributions among the
non-target classes, each summed over classes and divided by the batch size; e is the 1-based epoch, W the warm-up
(0: none). The binary log-probabilities come from log-sum-exp (the authors take ``log`` of a softmax, which gives
-inf and NaN for confident logits); the non-target distribution masks the target with a large constant, as they do.
Undefined with fewer than 3 classes.
"""
from mindspore import ops

from ats_ms.losses.functional import (
    EXCLUDED,
    cross_entropy,
    kd_inputs,
    kl_batchmean,
    kl_from_logits,
    label_mask,
)


def _binary_log_probs(x, gt):
    """(N, 2) log-probabilities of (target, the rest) of logits ``x`` (N, C); ``gt`` the (N, C) target mask."""
    log_all = ops.logsumexp(x, -1, True)
    log_target = (x * gt).sum(axis=-1, keepdims=True) - log_all
    log_rest = ops.logsumexp(x - EXCLUDED * gt, -1, True) - log_all
    return ops.concat((log_target, log_rest), -1)


def dkd_term(s_logits, t_logits, labels, t_tau, dkd_alpha, dkd_beta):
    """alpha * TCKD + beta * NCKD at temperature ``t_tau`` (both T^2-scaled, summed over classes, / N).

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient), C >= 3.
        labels (Tensor): (N,) labels.
        t_tau, dkd_alpha, dkd_beta (float): T, alpha, beta.

    Returns:
        Tensor: scalar float32.
    """
    gt = label_mask(labels, s_logits.shape[-1])
    x, z = s_logits / t_tau, t_logits / t_tau
    tckd = kl_batchmean(_binary_log_probs(z, gt), _binary_log_probs(x, gt))
    nckd = kl_from_logits(z, x, exclude=gt).mean()
    return (t_tau * t_tau) * (dkd_alpha * tckd + dkd_beta * nckd)


def warmup_factor(epoch, warmup):
    """min(epoch / warmup, 1) for the 1-based ``epoch`` (a scalar Tensor); 1 when ``warmup`` is 0."""
    if warmup == 0:
        return 1.0
    return ops.minimum(epoch / warmup, 1.0)


def dkd_objective(s_logits, t_logits, labels, t_tau, ce_weight, dkd_alpha, dkd_beta, dkd_warmup,
                  logit_std=False, *, epoch):
    """The DKD method: ce_weight * CE(s, y) + ``warmup_factor`` * ``dkd_term`` (on standardised logits when
    ``logit_std``; the cross-entropy keeps the raw logits).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype, C >= 3; labels (Tensor): (N,).
        t_tau, ce_weight, dkd_alpha, dkd_beta (float); dkd_warmup (int); logit_std (bool).
        epoch (float | Tensor): the 1-based epoch (``EpochObjective`` passes its Parameter).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + \
        warmup_factor(epoch, dkd_warmup) * dkd_term(s_kd, t_kd, labels, t_tau, dkd_alpha, dkd_beta)
