r"""Transformed teacher matching (TTM) and its weighted form (WTTM): "Knowledge Distillation Based on Transformed
Teacher Matching", ICLR 2024 (arXiv 2402.11148), as the authors' code computes them
(zkxufo/TTM at fe457b3, ``distiller_zoo/ttm.py`` and ``distiller_zoo/wttm.py``):

.. math::
    p_n = \frac{\mathrm{softmax}(t_n)^\gamma}{Z_n},\quad Z_n = \sum_c \mathrm{softmax}(t_n)_c^\gamma;\qquad
    L_{TTM} = w_{ce}\, CE(s, y) + w_{kd} \frac{1}{N}\sum_n KL(p_n \| \mathrm{softmax}(s_n)),\quad
    L_{WTTM} = w_{ce}\, CE(s, y) + w_{kd} \frac{1}{N}\sum_n Z_n\, KL(p_n \| \mathrm{softmax}(s_n))

No student temperature and no T^2. The authors raise a softmax to the power gamma, which underflows in float32 for
small probabilities; here p = softmax(gamma t) (the same distribution) and log Z = LSE(gamma t) - gamma LSE(t), so
both stay exact for any logits. Z lies in [1, C^(1 - gamma)] for gamma in (0, 1].
"""
from mindspore import ops

from ats_ms.losses.functional import cross_entropy, kd_inputs, kl_from_logits


def ttm_kl(s_logits, t_logits, ttm_gamma):
    """Per-sample KL(softmax(t)^gamma renormalised || softmax(s)).

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient).
        ttm_gamma (float): the exponent gamma.

    Returns:
        Tensor: (N,) float32.
    """
    return kl_from_logits(ttm_gamma * t_logits, s_logits)


def ttm_weight(t_logits, ttm_gamma):
    """WTTM's per-sample weight Z = sum_c softmax(t)_c^gamma, as exp(LSE(gamma t') - gamma LSE(t')), t' = t - max t.

    Args:
        t_logits (Tensor): (N, C) float32 teacher logits; ttm_gamma (float).

    Returns:
        Tensor: (N,) float32.
    """
    shifted = t_logits - t_logits.max(axis=-1, keepdims=True)  # both log-sum-exps small: no cancellation of large ones
    return ops.exp(ops.logsumexp(ttm_gamma * shifted, -1) - ttm_gamma * ops.logsumexp(shifted, -1))


def ttm_objective(s_logits, t_logits, labels, ttm_gamma, ce_weight, kd_weight, logit_std=False):
    """The TTM method: ce_weight * CE(s, y) + kd_weight * batch mean of ``ttm_kl`` (on standardised logits when
    ``logit_std``; the cross-entropy keeps the raw logits).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; labels (Tensor): (N,).
        ttm_gamma, ce_weight, kd_weight (float); logit_std (bool).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * ttm_kl(s_kd, t_kd, ttm_gamma).mean()


def wttm_objective(s_logits, t_logits, labels, ttm_gamma, ce_weight, kd_weight, logit_std=False):
    """The WTTM method: as ``ttm_objective`` with each sample's KL weighted by ``ttm_weight`` (the teacher's, no
    gradient).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    weighted = ttm_weight(t_kd, ttm_gamma) * ttm_kl(s_kd, t_kd, ttm_gamma)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * weighted.mean()
