r"""ABKD (Guanghui Wang, Zhiyong Yang, Zitai Wang, Shi Wang, Qianqian Xu, Qingming Huang, "ABKD: Pursuing a Proper
Allocation of the Probability Mass in Knowledge Distillation via alpha-beta-Divergence", ICML 2025, arXiv
2505.04560), as the authors' code computes it (ghwang-s/abkd at df81318,
``standard_classification/distiller_zoo/abkl.py``, ``ABKL.forward``; the loss of
``standard_classification/helper/loops.py``; alpha 0.8, beta 0.3 and the KD weight 32 from its README):

.. math::
    D(p \| q) = -\frac{1}{\alpha\beta} \sum_c \Big(p_c^\alpha q_c^\beta - \frac{\alpha}{\alpha+\beta} p_c^{\alpha+\beta}
        - \frac{\beta}{\alpha+\beta} q_c^{\alpha+\beta}\Big),\quad p = \mathrm{softmax}(t/T),\ q = \mathrm{softmax}(s/T)

    L = w_{ce}\, CE(s, y) + w_{kd} \frac{1}{N}\sum_n D(p_n \| q_n)

(no T^2), with the authors' special cases: alpha = beta = 0: (1/2) sum_c (log q_c - log p_c)^2; alpha = 0:
(1/beta) sum_c (q^beta log(q^beta / p^beta) - q^beta + p^beta); beta = 0: (1/alpha) sum_c (p^alpha log(p^alpha /
q^alpha) - p^alpha + q^alpha); alpha + beta = 0: (1/alpha) sum_c (log(q^alpha / p^alpha) + p^alpha / q^alpha - 1).
The alpha = 0 and beta = 0 cases divide by beta or alpha where the general formula's limit divides by their squares;
we follow the authors' file.

Accuracy: with a = log p and u = log q - log p, each term is p^k F(x) with x proportional to u and F(x) = O(x^2), a
difference of terms of order 1: the authors' float32 code loses about log10(1/u^2) digits as q approaches p. Ours
computes u without cancellation (log q - log p = d - log sum_c p_c e^{d_c}, d = (s - t)/T, with ``functional``'s
accurate log1p and expm1, as ``functional.kl_from_logits``) and F(x) / x^2 by its Taylor series for |x| < 0.5 (then
(e^x - 1 - x) / x^2 and (x e^x - e^x + 1) / x^2 directly); entries with |u| >= 1 take the plain formula in log space
(no cancellation to fear there).
"""
import math

from mindspore import ops

from ats_ms.losses.functional import (
    EXP_REMAINDER,
    EXPM1_LIMIT,
    SERIES_LIMIT,
    cross_entropy,
    expm1,
    horner,
    kd_inputs,
    log1p,
)

NEAR = 1.0  # entries with |log q - log p| below this take the cancellation-free form
# (x e^x - e^x + 1) / x^2 = sum_k (k + 1) x^k / (k + 2)!, highest power first
EXP_SLOPE_REMAINDER = tuple((k + 1) / math.factorial(k + 2) for k in reversed(range(8)))


def exp_remainder(x):
    """(e^x - 1 - x) / x^2 for every x (1/2 at 0): its Taylor series for |x| < SERIES_LIMIT, else directly."""
    small = ops.abs(x) < SERIES_LIMIT
    safe = ops.select(small, ops.ones_like(x), x)
    return ops.select(small, horner(x, EXP_REMAINDER), (ops.exp(safe) - 1.0 - safe) / (safe * safe))


def exp_slope_remainder(x):
    """(x e^x - e^x + 1) / x^2 for every x (1/2 at 0): its Taylor series for |x| < SERIES_LIMIT, else directly."""
    small = ops.abs(x) < SERIES_LIMIT
    safe = ops.select(small, ops.ones_like(x), x)
    return ops.select(small, horner(x, EXP_SLOPE_REMAINDER), ((safe - 1.0) * ops.exp(safe) + 1.0) / (safe * safe))


def log_ratio(t_scaled, s_scaled):
    """(log p, log q, log q - log p) of p = softmax(t_scaled), q = softmax(s_scaled), the ratio without cancellation.

    Args:
        t_scaled, s_scaled (Tensor): (N, C) float32 scaled logits.

    Returns:
        tuple[Tensor, Tensor, Tensor]: (N, C) float32 each.
    """
    log_p = ops.log_softmax(t_scaled, axis=-1)
    p = ops.exp(log_p)
    mass = p.sum(axis=-1, keepdims=True)
    d = s_scaled - t_scaled
    d = d - (p * d).sum(axis=-1, keepdims=True) / mass
    near = log1p((p * expm1(ops.minimum(d, EXPM1_LIMIT))).sum(axis=-1, keepdims=True) / mass)
    log_q = ops.log_softmax(s_scaled, axis=-1)
    close = ops.broadcast_to(d.max(axis=-1, keepdims=True) < EXPM1_LIMIT, d.shape)
    return log_p, log_q, ops.select(close, d - near, log_q - log_p)


def _near(a, u, alpha, beta):
    """Each entry's term for |u| < NEAR, as p^k x^2 F(x) / x^2 (the authors' case for (alpha, beta); not 0, 0)."""
    if alpha == 0:
        x = beta * u
        return ops.exp(beta * a) * x * x * exp_slope_remainder(x) / beta
    if beta == 0:
        x = alpha * u
        return ops.exp(alpha * a) * x * x * exp_remainder(x) / alpha
    if alpha + beta == 0:
        y = -alpha * u
        return y * y * exp_remainder(y) / alpha
    total = alpha + beta
    return ops.exp(total * a) * u * u * (total * exp_remainder(total * u) - beta * exp_remainder(beta * u)) / alpha


def _far(a, b, u, alpha, beta):
    """Each entry's term, the authors' formula with the powers taken in log space (for |u| >= NEAR; b = log q, taken
    as computed: a + u would lose float32's digits of a large log p)."""
    if alpha == 0:
        return (ops.exp(beta * b) * (beta * u - 1.0) + ops.exp(beta * a)) / beta
    if beta == 0:
        return (ops.exp(alpha * b) - ops.exp(alpha * a) * (1.0 + alpha * u)) / alpha
    if alpha + beta == 0:
        y = -alpha * u
        return (expm1(y) - y) / alpha
    total = alpha + beta
    return (alpha / total * ops.exp(total * a) + beta / total * ops.exp(total * b) -
            ops.exp(alpha * a + beta * b)) / (alpha * beta)


def ab_divergence(s_logits, t_logits, t_tau, ab_alpha, ab_beta):
    """Per-sample alpha-beta divergence D(softmax(t / T) || softmax(s / T)), summed over classes.

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient).
        t_tau, ab_alpha, ab_beta (float): T, alpha, beta.

    Returns:
        Tensor: (N,) float32.
    """
    a, b, u = log_ratio(t_logits / t_tau, s_logits / t_tau)
    if ab_alpha == 0 and ab_beta == 0:
        return 0.5 * (u * u).sum(axis=-1)
    close = ops.abs(u) < NEAR
    zero = ops.zeros_like(u)
    # each branch gets finite inputs where the other is taken, so neither gives inf or NaN to the gradient
    near = _near(ops.select(close, a, zero), ops.select(close, u, zero), ab_alpha, ab_beta)
    far = _far(ops.select(close, zero, a), ops.select(close, zero, b), ops.select(close, zero, u), ab_alpha, ab_beta)
    return ops.select(close, near, far).sum(axis=-1)


def abkd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, ab_alpha, ab_beta, logit_std=False):
    """The ABKD method: ce_weight * CE(s, y) + kd_weight * batch mean of ``ab_divergence`` (on standardised logits
    when ``logit_std``; the cross-entropy keeps the raw logits).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; labels (Tensor): (N,).
        t_tau, ce_weight, kd_weight, ab_alpha, ab_beta (float); logit_std (bool).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + \
        kd_weight * ab_divergence(s_kd, t_kd, t_tau, ab_alpha, ab_beta).mean()
