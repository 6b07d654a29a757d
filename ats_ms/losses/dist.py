r"""DIST (Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022), as the authors' code
computes it (hunto/image_classification_sota, ``lib/models/losses/dist_kd.py``):

.. math::
    L = w_{ce}\, CE(s, y) + w_{kd}\, T^2 (\beta\,(1 - \overline{\rho}_{rows}) + \gamma\,(1 - \overline{\rho}_{cols}))

with p = softmax(s / T), q = softmax(t / T) and rho the Pearson correlation (the cosine of mean-centred vectors, eps
1e-8 added to the product of norms): across classes per sample (inter-class relation) and across the batch per class
(intra-class relation). The intra term depends on the batch, which every student of a pack shares. Norms are taken as
sqrt(sum of squares + 1e-24) so a single-sample batch (centred vectors of zeros) has a finite gradient.
"""
from mindspore import ops

from ats_ms.losses.functional import as_float32, cross_entropy

PEARSON_EPS = 1e-8
NORM_FLOOR = 1e-24


def _norm(x):
    return ops.sqrt((x * x).sum(axis=-1) + NORM_FLOOR)


def pearson_rows(a, b):
    """Pearson correlation of each row of ``a`` with the same row of ``b`` (both (R, K)); (R,) float32."""
    a = a - ops.mean(a, -1, True)
    b = b - ops.mean(b, -1, True)
    return (a * b).sum(axis=-1) / (_norm(a) * _norm(b) + PEARSON_EPS)


def dist_term(s_logits, t_logits, t_tau, dist_beta, dist_gamma):
    """T^2 (beta * inter + gamma * intra) of the softened predictions.

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient).
        t_tau, dist_beta, dist_gamma (float): T, beta, gamma.

    Returns:
        Tensor: scalar float32.
    """
    p = ops.softmax(s_logits / t_tau, axis=-1)
    q = ops.softmax(t_logits / t_tau, axis=-1)
    inter = 1.0 - pearson_rows(p, q).mean()
    intra = 1.0 - pearson_rows(p.T, q.T).mean()
    return (t_tau * t_tau) * (dist_beta * inter + dist_gamma * intra)


def dist_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, dist_beta, dist_gamma):
    """The DIST method: ce_weight * CE(s, y) + kd_weight * ``dist_term``.

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; labels (Tensor): (N,).
        t_tau, ce_weight, kd_weight, dist_beta, dist_gamma (float).

    Returns:
        Tensor: scalar float32.
    """
    s_logits = as_float32(s_logits)
    t_logits = ops.stop_gradient(as_float32(t_logits))
    return ce_weight * cross_entropy(s_logits, labels) + \
        kd_weight * dist_term(s_logits, t_logits, t_tau, dist_beta, dist_gamma)
